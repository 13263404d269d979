/**
 * Issue 4 acceptance with Kannel (bearerbox + smsbox) as the ESME, bound to a real gateway node
 * (embedded: PGlite, memory bus) as a legacy client: what Kannel submits reaches the test
 * carrier with exactly its text (short and long GSM-7, UCS-2 with emoji, Latin-1), an inbound
 * carrier message reaches Kannel's MO sink, a carrier status callback comes back to Kannel's
 * dlr-url as a receipt under the id Kannel got in submit_sm_resp, and what arrives while Kannel
 * is offline is delivered when it binds again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CODING, DLR, Kannel, kannelMissing } from '../support/kannel.js';
import { bare, SmppGateway, until } from '../support/smpp-gateway.js';

const PBX = '+15550001000';
const FAR = '+15559990001';

const missing = kannelMissing();
const title = (name: string): string => (missing ? `${name} [skipped: ${missing}]` : name);

describe.skipIf(missing)(title('Kannel as an ESME of the gateway'), () => {
  let gw: SmppGateway;
  let kannel: Kannel;

  beforeAll(async () => {
    gw = await SmppGateway.start();
    await gw.addCarrier();
    // SMPP 3.4 passwords are at most 8 characters; Kannel cuts longer ones.
    await gw.legacyClient('kannel', 'kannelpw', [PBX]);
    kannel = await Kannel.start({ smppHost: '127.0.0.1', smppPort: gw.smppPort, systemId: 'kannel', password: 'kannelpw' });
    await kannel.bound();
  }, 120_000);

  afterAll(async () => {
    await kannel?.stop();
    await gw?.stop();
  }, 60_000);

  const send = (text: string, extra: Partial<Parameters<Kannel['send']>[0]> = {}, to = FAR) =>
    kannel.send({ from: bare(PBX), to, text, ...extra });

  it("binds as a transceiver with the legacy client's system id and password", async () => {
    await until(async () => (await gw.binds('kannel')).length === 1, 10_000, 'the bind in /stats');
    expect((await gw.binds('kannel'))[0]).toMatchObject({ bind_mode: 'transceiver' });
  });

  it('delivers a short GSM-7 text with extension characters to the carrier exactly', async () => {
    const text = 'Hi €5 [ok] {x} ~ ^ \\ | @£$¥ _ end';
    await send(text);
    const sent = await gw.carrierText(text);
    expect(sent).toMatchObject({ from: PBX, to: FAR });
  });

  it('delivers a long GSM-7 text that Kannel splits with a UDH as one whole message', async () => {
    const text = Array.from({ length: 40 }, (_, i) => `w${i}€[]`)
      .join(' ')
      .padEnd(400, '.');
    expect(text.length).toBeGreaterThan(306);
    await send(text, {}, '+15559990002');
    await gw.carrierText(text);
    expect(gw.carrierSends().filter((s) => s.to === '+15559990002')).toHaveLength(1);
  });

  it('delivers UCS-2 with an emoji (surrogate pair) exactly', async () => {
    const text = 'Привет 😀 мир ✓ 你好';
    await send(text, { coding: CODING.UCS2 });
    await gw.carrierText(text);
  });

  it('delivers a long UCS-2 text split by Kannel, emoji across part boundaries included', async () => {
    const text = 'ж😀'.repeat(50); // 150 UTF-16 units: 3 parts of 67, surrogate pairs straddle the cuts
    await send(text, { coding: CODING.UCS2 }, '+15559990003');
    await gw.carrierText(text);
  });

  it('delivers Latin-1 text (GSM-7 on the wire, Kannel converts) exactly', async () => {
    const text = 'Grüße aus Köln: café, niño, Ångström, Æsir ¿¡ §';
    await send(text);
    await gw.carrierText(text);
  });

  it('delivers Latin-1 text beyond GSM-7 sent as 8-bit data (data_coding 0xF5) exactly', async () => {
    // Kannel cannot send data_coding 3. Its 8-bit coding goes out as 0x04 (which the gateway,
    // like gomsggw, reads as GSM-7), or with alt-dcs as 0xF5 (GSM 03.38 class group, 8-bit,
    // class 1), which the gateway reads as octets in ISO-8859-1.
    const text = 'naïve façade, crème brûlée à la carte';
    await send('', { bytes: Buffer.from(text, 'latin1'), coding: CODING.BINARY, extra: { 'alt-dcs': '1' } });
    await gw.carrierText(text);
  });

  it("passes an inbound carrier message to Kannel's MO sink", async () => {
    await gw.inbound({ from: '+15557770000', to: PBX, text: 'Inbound hello €' });
    const mo = await kannel.waitForMo((m) => m.text === 'Inbound hello €', 15_000);
    expect(bare(mo.from)).toBe('15557770000');
    expect(bare(mo.to)).toBe(bare(PBX));
    expect(mo.coding).toBe(CODING.GSM);
  });

  it('passes an inbound emoji message to Kannel as UCS-2', async () => {
    await gw.inbound({ from: '+15557770001', to: PBX, text: 'Emoji 😀 back' });
    const mo = await kannel.waitForMo((m) => m.text === 'Emoji 😀 back', 15_000);
    expect(mo.coding).toBe(CODING.UCS2);
  });

  it('passes a long inbound message to Kannel, which joins the parts into one', async () => {
    const text = `long inbound ${'0123456789'.repeat(25)}`;
    await gw.inbound({ from: '+15557770002', to: PBX, text });
    const mo = await kannel.waitForMo((m) => m.text === text, 15_000);
    expect(mo.from).toContain('15557770002');
  });

  it("turns a carrier status callback into a receipt at Kannel's dlr-url under the submit_sm_resp id", async () => {
    const to = '+15559990010';
    const { tag } = await send('track me please', { dlrMask: DLR.ALL }, to);
    const ack = await kannel.waitForDlr((d) => d.tag === tag && d.status === DLR.SMSC_ACK, 15_000);
    expect(ack.smscMessageId).not.toBe('');
    const sent = await gw.carrierSend((s) => s.to === to, 15_000, `the send to ${to}`);
    await gw.statusCallback({ carrierMsgId: sent.request.carrierMsgId!, from: PBX, to, status: 'delivered' });
    const delivered = await kannel.waitForDlr((d) => d.tag === tag && d.status === DLR.DELIVERED, 15_000);
    expect(delivered.smscMessageId).toBe(ack.smscMessageId);
    expect(delivered.reply).toContain(`id:${ack.smscMessageId} `);
    expect(delivered.reply).toContain('stat:DELIVRD');
  });

  it('reports a carrier failure to Kannel as an undeliverable receipt', async () => {
    const to = '+15559990011';
    const { tag } = await send('this one fails', { dlrMask: DLR.ALL }, to);
    const ack = await kannel.waitForDlr((d) => d.tag === tag && d.status === DLR.SMSC_ACK, 15_000);
    const sent = await gw.carrierSend((s) => s.to === to, 15_000, `the send to ${to}`);
    await gw.statusCallback({ carrierMsgId: sent.request.carrierMsgId!, from: PBX, to, status: 'delivery_failed' });
    const failed = await kannel.waitForDlr((d) => d.tag === tag && d.status === DLR.UNDELIVERABLE, 15_000);
    expect(failed.smscMessageId).toBe(ack.smscMessageId);
    expect(failed.reply).toMatch(/stat:UNDELIV/);
  });

  it('delivers everything queued while Kannel was offline (messages and a receipt) once it binds again', async () => {
    const to = '+15559990012';
    const { tag } = await send('receipt comes later', { dlrMask: DLR.ALL }, to);
    const ack = await kannel.waitForDlr((d) => d.tag === tag && d.status === DLR.SMSC_ACK, 15_000);
    const sent = await gw.carrierSend((s) => s.to === to, 15_000, `the send to ${to}`);

    await kannel.stopSmsc();
    await until(async () => (await gw.binds('kannel')).length === 0, 15_000, 'the bind to leave /stats');
    const texts = Array.from({ length: 5 }, (_, i) => `while offline ${i} €`);
    for (const [i, text] of texts.entries()) await gw.inbound({ from: `+1555777010${i}`, to: PBX, text });
    await gw.statusCallback({ carrierMsgId: sent.request.carrierMsgId!, from: PBX, to, status: 'delivered' });
    await new Promise((r) => setTimeout(r, 500));
    expect(kannel.mos().filter((m) => m.text.startsWith('while offline'))).toEqual([]);

    await kannel.startSmsc();
    await kannel.bound();
    const mos = await kannel.waitForMos(texts.length, (m) => m.text.startsWith('while offline'), 30_000);
    expect(mos.map((m) => m.text).sort()).toEqual([...texts].sort());
    const delivered = await kannel.waitForDlr((d) => d.tag === tag && d.status === DLR.DELIVERED, 30_000);
    expect(delivered.smscMessageId).toBe(ack.smscMessageId);
  }, 90_000);
});
