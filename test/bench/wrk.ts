/**
 * The burst of bench:rest driven by wrk (BENCH_LOAD=wrk), the load generator field-notes.md
 * measured Kannel with: C, one epoll loop per thread, so the load costs the shared two cores far
 * less than a Node generator does. Each request's body is its own (a Lua counter per thread).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface WrkResult {
  ok: number;
  failed: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}

/** POSTs the generic send body to `url` over `connections` for `seconds`; `to` differs per request. */
function script(authorization: string): string {
  return `
local next_thread = 0
setup = function(thread)
  thread:set("base", 2000000 + next_thread * 1000000)
  next_thread = next_thread + 1
end
local n = 0
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "${authorization}" }
request = function()
  n = n + 1
  local body = string.format('{"from":"+15550001000","to":"+1555%d","text":"bench %d"}', base + n, n)
  return wrk.format("POST", nil, headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK %d %d %d %d %d\\n", summary.requests, e.status + e.connect + e.read + e.write + e.timeout,
    summary.duration, latency:percentile(50), latency:percentile(99)))
end
`;
}

export async function wrkBurst(url: string, authorization: string, seconds: number, connections: number): Promise<WrkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'msggw-wrk-'));
  const file = join(dir, 'send.lua');
  writeFileSync(file, script(authorization));
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('wrk', ['-t2', `-c${connections}`, `-d${seconds}s`, '--latency', '-s', file, url], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      child.once('error', (err) => reject(new Error(`BENCH_LOAD=wrk needs wrk on PATH (Debian: apt-get install wrk): ${err.message}`)));
      child.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`wrk exited with ${code}`))));
    });
    const line = /^WRK (\d+) (\d+) (\d+) (\d+) (\d+)$/m.exec(out);
    if (!line) throw new Error(`wrk printed no summary:\n${out}`);
    const [requests, failed, durationUs, p50Us, p99Us] = line.slice(1).map(Number) as [number, number, number, number, number];
    return { ok: requests - failed, failed, seconds: durationUs / 1e6, p50Ms: p50Us / 1000, p99Ms: p99Us / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
