/**
 * The deliver_sm egress keeps a session's SMPP window full and never goes over it, as seen by an
 * independent ESME: Net::SMPP (Perl) bound as a transceiver to a gateway process on the real
 * cluster services (nats-server, redis-server, PostgreSQL), answering every deliver_sm a fixed
 * delay after it arrived. A web client sends several windows' worth of messages to the ESME's
 * number over REST; the ESME counts the deliver_sm it holds unanswered after every arrival and
 * every answer. Not a timing test: only counts are asserted, and the timeouts are generous.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { NetSmpp, netSmppMissing } from '../support/net-smpp.js';
import { bare, SmppGateway } from '../support/smpp-gateway.js';
import { basicAuth } from '../support/test-node.js';

const WINDOW = 4;
const MESSAGES = 5 * WINDOW;
/** Long enough that the gateway fills the window before the first answer leaves. */
const ANSWER_DELAY_MS = 300;
const PBX = '+15550001000';
const WEB = '+15550005000';

const svc = requireServices(['nats', 'postgres', 'redis']);
const perlMissing = netSmppMissing();
const title = (name: string) => (perlMissing ? `${name} [skipped: ${perlMissing}]` : svc.title(name));

describe.skipIf(svc.skip || perlMissing !== undefined)(title('deliver_sm egress window, seen by Net::SMPP'), () => {
  let gw: SmppGateway;
  let esme: NetSmpp;

  beforeAll(async () => {
    gw = await SmppGateway.start({
      process: true,
      env: {
        DATABASE_URL: await createTestDatabase('deliver_window'),
        NATS_URL: svc.urls.nats,
        REDIS_URL: svc.urls.redis,
        BUS_SUBJECT_PREFIX: uniquePrefix('dwin'),
        SMPP_WINDOW: String(WINDOW),
      },
    });
    await gw.addCarrier();
    await gw.legacyClient('pbx', 'pbxpw', [PBX]);
    await gw.webClient('webapp', 'webapp-pass', [WEB]);
    esme = await NetSmpp.connect({ host: '127.0.0.1', port: gw.smppPort, label: 'slow pbx' });
    await esme.setAutoRespond(true, 0, ANSWER_DELAY_MS);
    expect((await esme.bind({ mode: 'transceiver', systemId: 'pbx', password: 'pbxpw' })).commandStatus).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await esme?.close();
    await gw?.stop();
  }, 60_000);

  it(`keeps ${WINDOW} deliver_sm unanswered at most, reaches ${WINDOW}, and delivers each of ${MESSAGES} messages once`, async () => {
    const texts = Array.from({ length: MESSAGES }, (_, i) => `window test ${i}`);
    const replies = await Promise.all(
      texts.map((text) => gw.api('POST', '/messages/send', { from: WEB, to: PBX, text }, basicAuth('webapp', 'webapp-pass'))),
    );
    expect(replies.map((r) => r.status)).toEqual(texts.map(() => 202));

    const delivered = await esme.waitForDeliverSms(MESSAGES, () => true, 120_000);
    // The last answers leave meanwhile, and a duplicate sent right behind them would arrive.
    await new Promise((r) => setTimeout(r, 3 * ANSWER_DELAY_MS));
    expect(
      esme
        .deliveries()
        .map((d) => d.shortMessage.toString('latin1'))
        .sort(),
    ).toEqual([...texts].sort());
    expect(delivered.every((d) => bare(d.sourceAddr) === bare(WEB) && bare(d.destinationAddr) === bare(PBX))).toBe(true);

    const counts = esme.unansweredCounts();
    process.stderr.write(`[deliver-window] unanswered after each arrival/answer: ${counts.join(' ')}\n`);
    expect(Math.max(...counts)).toBe(WINDOW);
    // Full again once answers have freed slots: refilled, not only filled at the start.
    const firstAnswer = counts.findIndex((n, i) => i > 0 && n < counts[i - 1]!);
    expect(counts.slice(firstAnswer)).toContain(WINDOW);
    expect(counts.at(-1)).toBe(0);
  });
});
