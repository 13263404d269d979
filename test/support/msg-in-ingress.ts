/**
 * An ingress for web-room tests without the router: accepted messages are only stored on
 * msg.in.<kind>, where the test reads them back (production wires the router's IngressRouter).
 */
import { messageCodec } from '../../proto/message.js';
import type { Subjects } from '../../proto/subjects.js';
import type { MessageIngress, WebDeps } from '../../internal/web/index.js';

export function msgInIngress(bus: WebDeps['bus'], names: Pick<Subjects, 'msgIn'>): MessageIngress {
  return (kind, message, dedupKey = message.id) =>
    bus.publishDurable(names.msgIn(kind), messageCodec.encode(message), { msgId: dedupKey }).then(() => undefined);
}
