import { messageCodec } from '../../proto/message.js';
import type { MessageIngress, WebDeps } from './types.js';

/** The node's ingress, or (without one) a publish to msg.in.<kind> for the router workers. */
export function ingressOf(deps: Pick<WebDeps, 'ingress' | 'bus' | 'subjects'>): MessageIngress {
  return deps.ingress ?? ((kind, message, dedupKey = message.id) =>
    deps.bus.publishDurable(deps.subjects.msgIn(kind), messageCodec.encode(message), { msgId: dedupKey }).then(() => undefined));
}
