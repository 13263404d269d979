/**
 * The ceiling for bench:smpp: a bare SMSC on the npm `smpp` package that accepts any bind and
 * answers every submit_sm at once with a message id — what Node and the library cost before the
 * gateway does anything. Prints "ready <port>" once listening.
 */
import { createRequire } from 'node:module';
import type { Server } from 'node:net';

interface BarePdu {
  command: string;
  isResponse(): boolean;
  response(fields?: Record<string, unknown>): unknown;
}
interface BareSession {
  on(event: string, listener: (pdu: BarePdu) => void): void;
  send(pdu: unknown): boolean;
}
const smpp = createRequire(import.meta.url)('smpp') as { createServer(listener: (session: BareSession) => void): Server };

let ids = 0;
const server = smpp.createServer((session) => {
  session.on('error', () => undefined);
  session.on('pdu', (pdu) => {
    if (pdu.isResponse()) return;
    if (pdu.command === 'submit_sm') session.send(pdu.response({ message_id: `bare-${(++ids).toString(16)}` }));
    else if (pdu.command.startsWith('bind_')) session.send(pdu.response({ system_id: 'bare' }));
    else if (pdu.command === 'enquire_link' || pdu.command === 'unbind') session.send(pdu.response());
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`ready ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
