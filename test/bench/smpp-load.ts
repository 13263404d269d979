/**
 * SMPP load for benchmarks: N binds of the npm `smpp` client, each keeping up to `window`
 * submit_sm unanswered (pipelined), with every submit_sm_resp latency kept for percentiles.
 */
import { createRequire } from 'node:module';

interface LibPdu {
  command_status: number;
}
interface LibSession {
  on(event: string, listener: (arg: any) => void): void;
  send(pdu: any): boolean;
  close(): void;
  destroy(): void;
  bind_transceiver(fields: object, cb: (pdu: LibPdu) => void): void;
  submit_sm(fields: object, cb: (pdu: LibPdu) => void): void;
  unbind(fields: object, cb: (pdu: LibPdu) => void): void;
}
const smpp = createRequire(import.meta.url)('smpp') as { connect(options: object, listener?: () => void): LibSession };

export interface SubmitLoadResult {
  ok: number;
  failed: number;
  /** Answers by command_status (hex). */
  statuses: Record<string, number>;
  seconds: number;
  latenciesMs: number[];
}

/**
 * Opens `count` sessions bound as transceivers. They answer every deliver_sm, at once or
 * `answerDelayMs` later (an ESME at the end of a slower link).
 */
export async function bindSessions(
  port: number,
  count: number,
  systemId: string,
  password: string,
  answerDelayMs = 0,
): Promise<LibSession[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const session = await new Promise<LibSession>((resolve, reject) => {
        const s = smpp.connect({ url: `smpp://127.0.0.1:${port}` }, () => resolve(s));
        s.on('error', reject);
      });
      session.on('error', () => undefined);
      session.on('enquire_link', (pdu: { response(): unknown }) => session.send(pdu.response()));
      session.on('deliver_sm', (pdu: { response(): unknown }) => {
        if (answerDelayMs > 0) setTimeout(() => session.send(pdu.response()), answerDelayMs);
        else session.send(pdu.response());
      });
      const resp = await new Promise<LibPdu>((resolve) => session.bind_transceiver({ system_id: systemId, password }, resolve));
      if (resp.command_status !== 0) throw new Error(`bind refused: 0x${resp.command_status.toString(16)}`);
      return session;
    }),
  );
}

/** Unbinds and closes the sessions. */
export async function closeSessions(sessions: LibSession[]): Promise<void> {
  await Promise.all(
    sessions.map(
      (s) =>
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2_000);
          s.unbind({}, () => {
            clearTimeout(timer);
            resolve();
          });
        }),
    ),
  );
  for (const s of sessions) s.destroy();
}

/**
 * Submits `total` messages over `sessions`, each with up to `window` unanswered; `fields(i)` is
 * submit_sm i. `offset` shifts i (so warm-up and measured runs use different texts).
 */
export function submitLoad(
  sessions: LibSession[],
  total: number,
  window: number,
  fields: (i: number) => object,
  offset = 0,
): Promise<SubmitLoadResult> {
  const result: SubmitLoadResult = { ok: 0, failed: 0, statuses: {}, seconds: 0, latenciesMs: [] };
  let next = 0;
  let done = 0;
  const started = performance.now();
  return new Promise((resolve) => {
    if (total === 0) return resolve(result);
    const pump = (session: LibSession, inFlight: { n: number }) => {
      while (inFlight.n < window && next < total) {
        const i = offset + next++;
        inFlight.n++;
        const sentAt = performance.now();
        session.submit_sm(fields(i), (pdu) => {
          inFlight.n--;
          result.latenciesMs.push(performance.now() - sentAt);
          const key = `0x${pdu.command_status.toString(16).padStart(8, '0')}`;
          result.statuses[key] = (result.statuses[key] ?? 0) + 1;
          if (pdu.command_status === 0) result.ok++;
          else result.failed++;
          if (++done === total) {
            result.seconds = (performance.now() - started) / 1000;
            resolve(result);
          } else pump(session, inFlight);
        });
      }
    };
    for (const session of sessions) pump(session, { n: 0 });
  });
}
