/**
 * REST sends for the fault tests, sorted by what the gateway answered: accepted (202), a 503
 * that says "unknown" (maybe stored: resend with its id) or "not_stored", and anything else.
 *
 *   const tally = new SendTally();
 *   tally.record(text, await postSend(base, auth, { from, to, text }));
 *   await tally.resendUnknown(base, auth, (text) => ({ from, to, text }));
 */

export interface SendAnswer {
  status: number;
  body: any;
}

/** POST /messages/send; a transport failure is status 0 (the answer never came). */
export async function postSend(base: string, authorization: string, body: unknown, idempotencyKey?: string): Promise<SendAnswer> {
  const headers: Record<string, string> = { authorization, 'content-type': 'application/json' };
  if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
  try {
    const res = await fetch(`${base}/messages/send`, { method: 'POST', headers, body: JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch (err) {
    return { status: 0, body: String(err) };
  }
}

export class SendTally {
  /** text → message id, answered 202. */
  readonly accepted = new Map<string, string>();
  /** text → message id, answered 503 "unknown" (and not yet resent to a 202). */
  readonly unknown = new Map<string, string>();
  /** Texts answered 503 "not_stored". */
  readonly notStored = new Set<string>();
  /** Texts answered 503 without saying which, or anything else. */
  readonly other: Array<{ text: string; status: number; body: unknown }> = [];
  /** Texts accepted only on a resend of an "unknown" answer, with their id. */
  readonly resent = new Map<string, string>();

  record(text: string, answer: SendAnswer): void {
    if (answer.status === 202) this.accepted.set(text, answer.body.id);
    else if (answer.status === 503 && answer.body?.outcome === 'unknown' && typeof answer.body.id === 'string') {
      this.unknown.set(text, answer.body.id);
    } else if (answer.status === 503 && answer.body?.outcome === 'not_stored') this.notStored.add(text);
    else this.other.push({ text, status: answer.status, body: answer.body });
  }

  /**
   * Sends each "unknown" message again with its id as Idempotency-Key until it is answered 202
   * (trying every `pauseMs`, `tries` times); the 202 must name the same id.
   */
  async resendUnknown(base: string, authorization: string, bodyOf: (text: string) => unknown, tries = 30, pauseMs = 1_000): Promise<void> {
    for (const [text, id] of this.unknown) {
      for (let i = 0; ; i++) {
        const answer = await postSend(base, authorization, bodyOf(text), id);
        if (answer.status === 202) {
          if (answer.body.id !== id) throw new Error(`resend of ${text} answered id ${answer.body.id}, not ${id}`);
          this.resent.set(text, id);
          break;
        }
        if (i >= tries) throw new Error(`resend of ${text} never accepted: ${answer.status} ${JSON.stringify(answer.body)}`);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    }
    this.unknown.clear();
  }

  summary(): string {
    return `accepted ${this.accepted.size}, unknown resent ${this.resent.size}, not stored ${this.notStored.size}, other ${this.other.length}`;
  }
}
