/**
 * A legacy client's MM4 server for tests: an smtp-server on a free loopback port that keeps every
 * mail it receives (envelope and raw bytes) and answers 250, so tests can wait for the
 * MM4_forward.REQ or MM4_delivery_report.REQ the gateway sends.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SunkMail {
  from: string;
  to: string[];
  raw: Buffer;
  /** The raw text, for header checks. */
  text: string;
}

export class SmtpSink {
  readonly mails: SunkMail[] = [];

  private constructor(
    private readonly server: SMTPServer,
    readonly port: number,
  ) {}

  static async start(): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      disableReverseLookup: true,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks);
          sink?.add({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw,
            text: raw.toString('utf8'),
          });
          callback(null, 'Queued');
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server as unknown as { server: { address(): AddressInfo } }).server.address().port;
    sink = new SmtpSink(server, port);
    return sink;
  }

  private add(mail: SunkMail): void {
    this.mails.push(mail);
  }

  /** The first mail (already received or arriving within `timeoutMs`) that matches. */
  async waitFor(match: (m: SunkMail) => boolean, timeoutMs = 20_000): Promise<SunkMail> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.mails.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching mail within ${timeoutMs} ms (${this.mails.length} received)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
