import type { ShutdownConfig } from './types.js';

// The drains are shares of SHUTDOWN_TIMEOUT_SECS, so that together they fit it whatever it is:
// the SMPP unbind grace once, the bus drain up to three times in a row (consumers, running
// handlers, the connection's own drain), and the rest (web, MM4, workers, store) in what is left.
// The node stops waiting for any step at the deadline itself (cmd/gateway/node.ts).
const SMPP_UNBIND_SHARE = 1 / 5;
const BUS_DRAIN_SHARE = 1 / 6;
/** Past this, a longer grace only delays a restart: ESMEs rebind within seconds of the unbind. */
const MAX_SMPP_UNBIND_MS = 10_000;
/** Handlers finish in milliseconds; a longer wait only holds a stuck carrier call. */
const MAX_BUS_DRAIN_MS = 10_000;

/** The component drains derived from one shutdown deadline (SHUTDOWN_TIMEOUT_SECS). */
export function shutdownBudget(timeoutMs: number): ShutdownConfig {
  return {
    timeoutMs,
    smppUnbindMs: Math.min(MAX_SMPP_UNBIND_MS, Math.floor(timeoutMs * SMPP_UNBIND_SHARE)),
    busDrainMs: Math.min(MAX_BUS_DRAIN_MS, Math.floor(timeoutMs * BUS_DRAIN_SHARE)),
  };
}
