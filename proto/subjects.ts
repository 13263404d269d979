/**
 * Every subject name on the bus is built here and nowhere else (style.md: proto is the contract).
 * `prefix` lets tests and several clusters share one NATS server without crosstalk.
 */
export interface Subjects {
  /** Core NATS: a configuration change; every node refreshes its caches. */
  readonly configChanged: string;
  /** Core NATS request: every node answers with its stats (scatter-gather). */
  readonly statsCollect: string;
}

export function subjects(prefix = ''): Subjects {
  const p = prefix ? `${prefix}.` : '';
  return {
    configChanged: `${p}cfg.changed`,
    statsCollect: `${p}stats.collect`,
  };
}
