/**
 * MM4 responses (MM4_forward.RES, MM4_delivery_report.RES) to a request that set
 * X-Mms-Ack-Request: Yes. TS 23.140 sends them as a separate SMTP transaction to the
 * requester's X-Mms-Originator-System, after the request's own 250, so they go out in the
 * background with a few retries. A response lost with its node only costs the peer its
 * confirmation: the request itself is already stored.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../bus/index.js';
import type { Logger } from '../log/index.js';
import type { ClientDetails } from '../store/index.js';
import { composeResponse } from './compose.js';
import type { Responder } from './inbound.js';
import { mm4Endpoint } from './peers.js';
import type { SendRaw } from './sender.js';
import { Mm4MessageType, type Mm4Headers } from './types.js';

export interface ResponderOptions {
  /** The gateway's X-Mms-Originator-System: the responses' From and Sender. */
  originatorSystem: string;
  /** Retries after the first try (MM4_RETRIES). */
  retries: number;
  timeoutMs: number;
  retryDelayMs: number;
  /** EHLO name. */
  name: string;
}

export interface ResponderDeps {
  send: SendRaw;
  logger: Logger;
}

/** Responses in flight per node; past this a peer's flood of ack requests is not answered. */
const MAX_IN_FLIGHT = 256;
const MAX_RETRY_DELAY_MS = 60_000;

export class Mm4Responder implements Responder {
  readonly #inflight = new Set<Promise<void>>();
  readonly #abort = new AbortController();

  constructor(
    private readonly options: ResponderOptions,
    private readonly deps: ResponderDeps,
  ) {}

  respond(client: ClientDetails, headers: Mm4Headers, type: 'forward' | 'report'): void {
    const target = mm4Endpoint(client);
    const to = headers.originatorSystem || headers.from?.raw || '';
    if (!target || !to || this.#abort.signal.aborted) return;
    if (this.#inflight.size >= MAX_IN_FLIGHT) {
      this.deps.logger.warn({ client: client.username }, 'mm4: too many responses in flight; one not sent');
      return;
    }
    const raw = composeResponse({
      type: type === 'forward' ? Mm4MessageType.FORWARD_RES : Mm4MessageType.DELIVERY_REPORT_RES,
      transactionId: headers.transactionId,
      messageId: headers.messageId,
      to,
      sender: this.options.originatorSystem,
      status: 'Ok',
    });
    const task = this.deliver(target, { from: this.options.originatorSystem, to, raw }, client.username);
    this.#inflight.add(task);
    void task.finally(() => this.#inflight.delete(task));
  }

  /** Aborts what is still trying and waits for it to settle. Idempotent. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#inflight]);
  }

  private async deliver(target: { host: string; port: number }, mail: { from: string; to: string; raw: string }, username: string) {
    const { retries, timeoutMs, retryDelayMs, name } = this.options;
    const signal = this.#abort.signal;
    for (let attempt = 1; attempt <= retries + 1 && !signal.aborted; attempt++) {
      try {
        await this.deps.send(target, mail, { timeoutMs, signal, name });
        return;
      } catch (err) {
        this.deps.logger.info({ err, client: username, attempt }, 'mm4: response not delivered');
        if (attempt <= retries)
          await sleep(backoffDelay(attempt, retryDelayMs, MAX_RETRY_DELAY_MS), undefined, { signal }).catch(() => undefined);
      }
    }
  }
}
