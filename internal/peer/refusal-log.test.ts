import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/index.js';
import { refusalLog } from './refusal-log.js';

function capture() {
  const lines: Array<{ level: number; reason: string }> = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'debug', serverId: 't', destination }) };
}

describe('refusalLog', () => {
  it('warns about an untrusted PROXY peer at most once a minute, and logs every other refusal at debug', () => {
    const { lines, logger } = capture();
    let now = 0;
    const log = refusalLog(logger, 'smpp', () => now);
    log('proxy_untrusted', { peer: '192.0.2.1' });
    log('proxy_untrusted', { peer: '192.0.2.1' });
    log('max_per_ip', { peer: '192.0.2.2' });
    now = 60_000;
    log('proxy_untrusted', { peer: '192.0.2.1' });
    const WARN = 40;
    const DEBUG = 20;
    expect(lines.map((l) => [l.level, l.reason])).toEqual([
      [WARN, 'proxy_untrusted'],
      [DEBUG, 'proxy_untrusted'],
      [DEBUG, 'max_per_ip'],
      [WARN, 'proxy_untrusted'],
    ]);
  });
});
