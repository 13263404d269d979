/**
 * `npm run bench:kannel`: the bench:deliver load through Kannel 1.4.5 beside msggw, in the same
 * run, with the same window, and the ratio. Kannel's side: HTTP sendsms (smsbox) → bearerbox with
 * a spool store → submit_sm to an SMSC in this process that answers every submit_sm, at once or
 * after BENCH_ANSWER_DELAY_MS (max-pending-submits = the window). msggw's side: REST
 * /messages/send → deliver_sm to its client's bind (deliver.ts, one node, one bind). Both sides
 * get the same requests in flight (BENCH_CONCURRENCY), BENCH_TOTAL each, BENCH_ROUNDS rounds
 * alternating which goes first. The rate compared is messages reaching the far SMPP peer per
 * second, from the first request to the last arrival.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInfo, Server } from 'node:net';
import { DEFAULT_SMPP_WINDOW } from '../../internal/config/defaults.js';
import { Kannel } from '../support/kannel.js';
import { Deliveries, deliverOptionsFromEnv, measurePhase, runDeliver, type PhaseResult } from './deliver.js';
import type { Target } from './load.js';
import { cpuSeconds, ownCpuSeconds, rssMb } from './measure.js';

interface SmscPdu {
  command: string;
  isResponse(): boolean;
  response(fields?: Record<string, unknown>): unknown;
}
interface SmscSession {
  on(event: string, listener: (pdu: SmscPdu) => void): void;
  send(pdu: unknown): boolean;
}
/** Idle time before each phase (see settle). */
const SETTLE_MS = 3_000;
const smpp = createRequire(import.meta.url)('smpp') as { createServer(listener: (session: SmscSession) => void): Server };

/** An SMSC that takes any bind and answers each submit_sm (after `answerDelayMs`), counting texts. */
async function startSmsc(arrivals: Deliveries, answerDelayMs: number): Promise<Server> {
  let ids = 0;
  const server = smpp.createServer((session) => {
    session.on('error', () => undefined);
    let unanswered = 0;
    session.on('pdu', (pdu) => {
      if (pdu.isResponse()) return;
      if (pdu.command === 'submit_sm') {
        arrivals.onDeliver(pdu);
        arrivals.maxUnanswered = Math.max(arrivals.maxUnanswered, ++unanswered);
        const answer = () => {
          unanswered--;
          session.send(pdu.response({ message_id: `k-${(++ids).toString(16)}` }));
        };
        if (answerDelayMs > 0) setTimeout(answer, answerDelayMs);
        else answer();
      } else if (pdu.command.startsWith('bind_')) session.send(pdu.response({ system_id: 'smsc' }));
      else if (pdu.command === 'enquire_link' || pdu.command === 'unbind') session.send(pdu.response());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** Kannel: sendsms → bearerbox (spool store) → the SMSC, measured like a deliver.ts phase. */
export async function runKannel(o: {
  total: number;
  concurrency: number;
  window: number;
  answerDelayMs: number;
}): Promise<PhaseResult & { peak_rss_mb: number }> {
  const arrivals = new Deliveries();
  const smsc = await startSmsc(arrivals, o.answerDelayMs);
  const kannel = await Kannel.start({
    smppHost: '127.0.0.1',
    smppPort: (smsc.address() as AddressInfo).port,
    systemId: 'bench',
    password: 'pw',
    maxPendingSubmits: o.window,
    store: 'spool',
    logLevel: 3,
  });
  try {
    await kannel.bound();
    const { username, password } = kannel.sendsmsUser;
    const sendsms = new URL(kannel.sendsmsUrl);
    const target: Target = {
      url: `${sendsms.origin}${sendsms.pathname}`,
      okStatus: 202,
      headers: {},
      query: (i) => {
        arrivals.sentAt.set(`bench-kannel ${i}`, performance.now());
        return `username=${username}&password=${password}&from=15550001000&to=15550009000&text=bench-kannel+${i}`;
      },
    };
    const cpu = () => kannel.pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    const result = await measurePhase(target, arrivals, 'bench-kannel', {
      total: o.total,
      concurrency: o.concurrency,
      cpu,
      others: () => ({ bench: ownCpuSeconds() }),
    });
    const peak = Math.max(...kannel.pids.map((pid) => rssMb(pid).peak));
    return { ...result, peak_rss_mb: Math.round(peak) };
  } finally {
    await kannel.stop();
    await new Promise((resolve) => smsc.close(resolve));
  }
}

/**
 * Before each phase: the dirty pages the last one left (PostgreSQL, the NATS file store, Kannel's
 * spool) are written out and the machine is left idle a moment, so one side's writeback does not
 * land in the other's measurement.
 */
async function settle(): Promise<void> {
  spawnSync('sync');
  await sleep(SETTLE_MS);
}

async function main(): Promise<void> {
  const env = deliverOptionsFromEnv();
  // BENCH_SPLIT=1 runs msggw as Kannel runs: one process takes HTTP, another holds the bind.
  const o = { ...env, phases: ['rest' as const], nodes: env.split ? 2 : 1, bindsPerNode: 1 };
  const window = o.window ?? DEFAULT_SMPP_WINDOW;
  const rounds = Number(process.env.BENCH_ROUNDS ?? 2);
  const rows: Array<{ round: number; kannel: PhaseResult; msggw: PhaseResult; ratio: number }> = [];
  for (let round = 1; round <= rounds; round++) {
    const kannelFirst = round % 2 === 1;
    const k1 = kannelFirst ? (await settle(), await runKannel({ ...o, window })) : undefined;
    await settle();
    const m = ((await runDeliver({ ...o, window })) as { rest: PhaseResult }).rest;
    const k = k1 ?? (await settle(), await runKannel({ ...o, window }));
    const ratio = +(m.delivered_per_sec / k.delivered_per_sec).toFixed(2);
    rows.push({ round, kannel: k, msggw: m, ratio });
    process.stderr.write(`round ${round}: kannel ${k.delivered_per_sec}/s, msggw ${m.delivered_per_sec}/s, ratio ${ratio}\n`);
  }
  const range = (xs: number[]) => `${Math.min(...xs)}–${Math.max(...xs)}`;
  process.stdout.write(
    `${JSON.stringify(
      {
        messages_per_round: o.total,
        concurrency: o.concurrency,
        window,
        answer_delay_ms: o.answerDelayMs,
        rounds: rows,
        summary: {
          kannel_submit_sm_per_sec: range(rows.map((r) => r.kannel.delivered_per_sec)),
          msggw_deliver_sm_per_sec: range(rows.map((r) => r.msggw.delivered_per_sec)),
          msggw_over_kannel: range(rows.map((r) => r.ratio)),
          kannel_cpu_ms_per_msg: range(rows.map((r) => r.kannel.cpu_ms_per_msg)),
          msggw_cpu_ms_per_msg: range(rows.map((r) => r.msggw.cpu_ms_per_msg)),
        },
      },
      null,
      2,
    )}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
