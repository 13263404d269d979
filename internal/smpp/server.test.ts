import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutcomeUnknownError } from '../errors/index.js';
import { encodeGsm7Packed, encodeUcs2 } from '../text/index.js';
import { encodePdu } from './pdu.js';
import {
  call,
  closed,
  defaultLogins,
  HARNESS_MAX_OPEN_SETS,
  legacyClient,
  ServerHarness,
  smppLib,
  until,
  type EsmeSession,
} from '../../test/support/smpp-server-harness.js';

let h: ServerHarness;
const A = '+15550001000';
const B = '+15559990001';

beforeEach(async () => {
  h = await new ServerHarness().start();
});
afterEach(async () => {
  await h.stop();
});

const submit = (esme: EsmeSession, fields: object) =>
  call(esme, 'submit_sm', {
    source_addr_ton: 1,
    source_addr_npi: 1,
    source_addr: A.slice(1),
    dest_addr_ton: 1,
    dest_addr_npi: 1,
    destination_addr: B.slice(1),
    data_coding: 0,
    ...fields,
  });

describe("log events (gomsggw's names)", () => {
  it("names binds, refusals, submits and the session's end as gomsggw did", async () => {
    const c = h.add(legacyClient(1, { numbers: [A], stopSuppressed: [A] }));
    const web = h.add(legacyClient(2, { type: 'web' }));
    expect((await call(await h.connect(), 'bind_transceiver', { system_id: c.username, password: 'nope' })).command_status).toBe(0x0e);
    expect((await call(await h.connect(), 'bind_transceiver', { system_id: web.username, password: web.password })).command_status).toBe(
      0x0e,
    );
    const esme = await h.bound(c);
    expect((await submit(esme, { short_message: Buffer.from('hello') })).command_status).toBe(0);
    expect((await submit(esme, { source_addr: '15550007777', short_message: Buffer.from('x') })).command_status).toBe(0x0a);
    expect((await submit(esme, { destination_addr: 'abc', short_message: Buffer.from('x') })).command_status).toBe(0x0b);
    expect((await submit(esme, { short_message: Buffer.alloc(0) })).command_status).toBe(0x01);
    expect((await submit(esme, { short_message: Buffer.from('Reply STOP to end messages.') })).command_status).toBe(0);
    await call(esme, 'unbind');
    await until(() => h.log.event('SessionRemoved') !== undefined);

    expect(h.log.event('AuthFailedInvalidCredentials')).toMatchObject({ level: 30, systemId: c.username, msg: 'SMPP bind refused' });
    expect(h.log.event('WebClientCannotUseSMPP')).toMatchObject({ level: 30, systemId: web.username });
    expect(h.log.event('AuthSuccess')).toMatchObject({ level: 30, systemId: c.username, msg: 'SMPP bound' });
    expect(h.log.event('InboundSubmitSM')).toMatchObject({ level: 20, systemId: c.username, id: h.stored[0]?.id });
    expect(h.log.event('Invalid sender number')).toMatchObject({ level: 30, systemId: c.username });
    expect(h.log.event('Invalid destination number')).toMatchObject({ level: 30, systemId: c.username });
    expect(h.log.event('EmptyDecodedMessage')).toMatchObject({ level: 30, systemId: c.username });
    expect(h.log.event('DroppingSTOPMessagePerClientRule')).toMatchObject({ level: 30, client: c.username, from: A });
    expect(h.log.event('SessionRemoved')).toMatchObject({ level: 30, systemId: c.username });
    // Never a password or the message text.
    expect(JSON.stringify(h.log.lines)).not.toMatch(/nope|hello|"password"/);
  });
});

describe('binds', () => {
  it("binds a legacy client as transceiver, transmitter or receiver and lists it among the node's binds", async () => {
    const c = h.add(legacyClient(1));
    for (const mode of ['bind_transceiver', 'bind_transmitter', 'bind_receiver']) {
      const esme = await h.connect();
      const resp = await call(esme, mode, { system_id: c.username, password: c.password, interface_version: 0x34 });
      expect(resp).toMatchObject({ command_status: 0, system_id: c.username, sc_interface_version: 0x34 });
    }
    await until(() => h.server.sessions.ofClient(1).length === 3);
    expect(h.server.sessions.receivingSessions(1).map((s) => s.mode)).toEqual(['transceiver', 'receiver']);
    expect(h.server.stats()).toHaveLength(3);
    expect(h.server.stats()[0]).toMatchObject({ username: 'esme1', ip_address: '127.0.0.1', server_id: 'h1' });
  });

  it('refuses a wrong password, an unknown system_id and empty fields alike with ESME_RINVPASWD, and closes', async () => {
    const c = h.add(legacyClient(1));
    const esme = await h.connect();
    expect((await call(esme, 'bind_transceiver', { system_id: c.username, password: 'nope' })).command_status).toBe(0x0e);
    await closed(esme);
    expect((await call(await h.connect(), 'bind_transceiver', { system_id: 'nobody', password: '' })).command_status).toBe(0x0e);
    expect((await call(await h.connect(), 'bind_transceiver', { system_id: '', password: 'x' })).command_status).toBe(0x0e);
    expect((await call(await h.connect(), 'bind_transceiver', { system_id: 'nobody', password: 'x' })).command_status).toBe(0x0e);
  });

  it("refuses a web client's right password as a wrong one", async () => {
    const c = h.add(legacyClient(1, { type: 'web' }));
    expect((await call(await h.connect(), 'bind_transceiver', { system_id: c.username, password: c.password })).command_status).toBe(0x0e);
  });

  it('checks the client address as an IP allow-list, refusing a right password from elsewhere as a wrong one', async () => {
    const ok = h.add(legacyClient(1, { address: '10.0.0.0/8, 127.0.0.1' }));
    const refused = h.add(legacyClient(2, { address: '192.0.2.7' }));
    expect((await call(await h.connect(), 'bind_transceiver', { system_id: ok.username, password: ok.password })).command_status).toBe(0);
    expect(
      (await call(await h.connect(), 'bind_transceiver', { system_id: refused.username, password: refused.password })).command_status,
    ).toBe(0x0e);
  });

  it('enforces max_binds across nodes sharing the bus, and frees the slot at unbind', async () => {
    const c = h.add(legacyClient(1, { maxBinds: 1 }));
    const other = await new ServerHarness(h.hub).start({}, 'h2');
    other.add(c);
    try {
      const first = await h.bound(c);
      const esme = await other.connect();
      expect((await call(esme, 'bind_transceiver', { system_id: c.username, password: c.password })).command_status).toBe(0x0d);
      expect((await call(first, 'unbind')).command_status).toBe(0);
      await until(
        async () =>
          (await call(await other.connect(), 'bind_transceiver', { system_id: c.username, password: c.password })).command_status === 0,
      );
    } finally {
      await other.stop();
    }
  });

  it('refuses an IP after too many failed binds, answering its right password as a wrong one', async () => {
    await h.stop();
    h = await new ServerHarness().start({}, 'h1', defaultLogins(2));
    const c = h.add(legacyClient(1));
    for (let i = 0; i < 2; i++) await call(await h.connect(), 'bind_transceiver', { system_id: c.username, password: 'bad' });
    // The right password now answers as a wrong one: a locked-out guesser learns nothing.
    expect((await call(await h.connect(), 'bind_transceiver', { system_id: c.username, password: c.password })).command_status).toBe(0x0e);
  });

  it('answers a second bind on a bound session with ESME_RALYBND', async () => {
    const c = h.add(legacyClient(1));
    const esme = await h.bound(c);
    expect((await call(esme, 'bind_transceiver', { system_id: c.username, password: c.password })).command_status).toBe(0x05);
  });
});

describe('submit_sm', () => {
  let esme: EsmeSession;
  beforeEach(async () => {
    esme = await h.bound(h.add(legacyClient(1, { numbers: [A] })));
  });

  it('stores the message before answering with its id', async () => {
    const resp = await submit(esme, { short_message: Buffer.from('hello there'), registered_delivery: 1 });
    expect(resp.command_status).toBe(0);
    expect(h.stored).toHaveLength(1);
    expect(h.stored[0]).toMatchObject({
      id: resp.message_id,
      from: A,
      to: B,
      text: 'hello there',
      type: 'sms',
      origin: { kind: 'smpp', clientId: 1, sourceIp: '127.0.0.1', node: 'h1' },
      smpp: { registeredDelivery: 1, dataCoding: 0 },
    });
  });

  it('reads GSM-7 packed and unpacked, with the extension table', async () => {
    const text = 'Price: 5€ {ok} [x] @home_';
    await submit(esme, { short_message: encodeGsm7Packed(text) });
    await submit(esme, { short_message: Buffer.from([0x48, 0x69, 0x1b, 0x65, 0x11]) });
    expect(h.stored.map((m) => m.text)).toEqual([text, 'Hi€_']);
  });

  it('reads UCS-2 with surrogate pairs, Latin-1 and message_payload', async () => {
    await submit(esme, { data_coding: 8, short_message: encodeUcs2('emoji 😀 ok') });
    await submit(esme, { data_coding: 3, short_message: Buffer.from('café ñ', 'latin1') });
    await submit(esme, { data_coding: 8, short_message: Buffer.alloc(0), message_payload: encodeUcs2('long 👍'.repeat(30)) });
    expect(h.stored.map((m) => m.text)).toEqual(['emoji 😀 ok', 'café ñ', 'long 👍'.repeat(30)]);
  });

  it('joins concatenated parts (UDH 8/16-bit, SAR) in any order into one message', async () => {
    const udh8 = (seq: number, text: string) => Buffer.concat([Buffer.from([5, 0, 3, 0x42, 3, seq]), Buffer.from(text)]);
    const ids = [];
    for (const seq of [2, 3, 1]) ids[seq] = (await submit(esme, { esm_class: 0x40, short_message: udh8(seq, `p${seq} `) })).message_id;
    expect(h.stored).toHaveLength(1);
    expect(h.stored[0]).toMatchObject({ id: ids[1], text: 'p1 p2 p3 ', smpp: { partIds: [ids[1], ids[2], ids[3]] } });

    const udh16 = (seq: number) => Buffer.concat([Buffer.from([6, 8, 4, 0x12, 0x34, 2, seq]), encodeUcs2(seq === 1 ? 'a😀' : 'b')]);
    await submit(esme, { esm_class: 0x40, data_coding: 8, short_message: udh16(1) });
    await submit(esme, { esm_class: 0x40, data_coding: 8, short_message: udh16(2) });
    await submit(esme, { short_message: Buffer.from('s1'), sar_msg_ref_num: 7, sar_total_segments: 2, sar_segment_seqnum: 1 });
    await submit(esme, { short_message: Buffer.from('s2'), sar_msg_ref_num: 7, sar_total_segments: 2, sar_segment_seqnum: 2 });
    expect(h.stored.map((m) => m.text)).toEqual(['p1 p2 p3 ', 'a😀b', 's1s2']);
  });

  it('answers ESME_RINVSRCADR for a number the client does not own and ESME_RINVDSTADR for a bad destination', async () => {
    expect((await submit(esme, { source_addr: '15550007777', short_message: Buffer.from('x') })).command_status).toBe(0x0a);
    expect((await submit(esme, { source_addr_ton: 5, source_addr: 'ACME', short_message: Buffer.from('x') })).command_status).toBe(0x0a);
    expect((await submit(esme, { destination_addr: 'abc', short_message: Buffer.from('x') })).command_status).toBe(0x0b);
    expect((await submit(esme, { source_addr: `${A.slice(1)}\n`, short_message: Buffer.from('x') })).command_status).toBe(0x0a);
    expect(
      (await submit(esme, { destination_addr: `${B.slice(1, 5)}\t${B.slice(5)}`, short_message: Buffer.from('x') })).command_status,
    ).toBe(0x0b);
    expect(h.stored).toHaveLength(0);
  });

  it('answers ESME_RSYSERR, never OK, when the message cannot be stored', async () => {
    h.ingressFails = true;
    const resp = await submit(esme, { short_message: Buffer.from('lost?') });
    expect(resp.command_status).toBe(0x08);
  });

  it("answers ESME_RSYSERR when the store's outcome is unknown (the ESME may resubmit)", async () => {
    h.ingressFails = new OutcomeUnknownError('no PubAck in time');
    const resp = await submit(esme, { short_message: Buffer.from('maybe?') });
    expect(resp.command_status).toBe(0x08);
  });

  it('puts a completed set back when it cannot be stored, so the retried part completes it', async () => {
    const udh = (seq: number) => Buffer.concat([Buffer.from([5, 0, 3, 9, 2, seq]), Buffer.from(`q${seq}`)]);
    expect((await submit(esme, { esm_class: 0x40, short_message: udh(1) })).command_status).toBe(0);
    h.ingressFails = true;
    expect((await submit(esme, { esm_class: 0x40, short_message: udh(2) })).command_status).toBe(0x08);
    h.ingressFails = false;
    expect((await submit(esme, { esm_class: 0x40, short_message: udh(2) })).command_status).toBe(0);
    expect(h.stored.map((m) => m.text)).toEqual(['q1q2']);
  });

  it('answers ESME_RMSGQFUL to part 1 of yet another message past the open-set limit, and takes it once one completes', async () => {
    const udh = (ref: number, seq: number) => Buffer.concat([Buffer.from([5, 0, 3, ref, 2, seq]), Buffer.from(`r${ref}p${seq}`)]);
    for (let ref = 1; ref <= HARNESS_MAX_OPEN_SETS; ref++) {
      expect((await submit(esme, { esm_class: 0x40, short_message: udh(ref, 1) })).command_status).toBe(0);
    }
    const over = udh(HARNESS_MAX_OPEN_SETS + 1, 1);
    expect((await submit(esme, { esm_class: 0x40, short_message: over })).command_status).toBe(0x14);
    expect((await submit(esme, { esm_class: 0x40, short_message: udh(1, 2) })).command_status).toBe(0);
    expect((await submit(esme, { esm_class: 0x40, short_message: over })).command_status).toBe(0);
    expect(h.stored.map((m) => m.text)).toEqual(['r1p1r1p2']);
  });

  it('answers ESME_RTHROTTLED beyond max_tps', async () => {
    h.clients.get(1)!.settings!.maxTps = 3;
    const answers = await Promise.all(Array.from({ length: 6 }, () => submit(esme, { short_message: Buffer.from('t') })));
    expect(answers.filter((a) => a.command_status === 0x58)).toHaveLength(3);
    expect(h.stored).toHaveLength(3);
  });

  it('refuses a broken UDH and empty messages, a text of NULs included', async () => {
    expect((await submit(esme, { short_message: Buffer.alloc(0) })).command_status).toBe(0x01);
    expect((await submit(esme, { esm_class: 0x40, short_message: Buffer.from([9, 0, 3]) })).command_status).toBe(0x01);
    expect((await submit(esme, { data_coding: 3, short_message: Buffer.from([0, 0]) })).command_status).toBe(0x01);
    expect(h.stored).toHaveLength(0);
  });

  it('cleans the text it stores in every coding: NUL removed, bad UCS-2 replaced, GSM-7 0x00 kept as @', async () => {
    const sent = [
      { data_coding: 3, short_message: Buffer.from('mid\u0000dle', 'latin1') },
      { data_coding: 1, short_message: Buffer.from('a\u0000b') },
      { data_coding: 0xf4, short_message: Buffer.from([0x41, 0x00, 0x42]) },
      { data_coding: 0, short_message: Buffer.from([0x00, 0x41]) },
      { data_coding: 8, short_message: Buffer.from([0, 0x41, 0]) },
      { data_coding: 8, short_message: Buffer.from([0, 0x41, 0xd8, 0x3d, 0, 0x42]) },
      { data_coding: 8, short_message: Buffer.from([0, 0x41, 0, 0, 0, 0x42]) },
      { data_coding: 8, short_message: Buffer.alloc(0), message_payload: Buffer.from([0, 0x41, 0, 0, 0xdc, 0]) },
      { data_coding: 3, short_message: Buffer.alloc(0), message_payload: Buffer.from('pay\u0000load', 'latin1') },
      { data_coding: 5, short_message: Buffer.from([0x41, 0xff, 0x42, 0x00, 0x43]) },
    ];
    for (const fields of sent) expect((await submit(esme, fields)).command_status).toBe(0);
    expect(h.stored.map((m) => m.text)).toEqual([
      'middle',
      'ab',
      'AB',
      '@A',
      'A\uFFFD',
      'A\uFFFDB',
      'AB',
      'A\uFFFD',
      'payload',
      'A\uFFFDBC',
    ]);
  });

  it('cleans a concatenated message once joined, keeping a pair split across parts', async () => {
    const part = (seq: number, bytes: number[]) => Buffer.concat([Buffer.from([5, 0, 3, 0x51, 2, seq]), Buffer.from(bytes)]);
    await submit(esme, { esm_class: 0x40, data_coding: 8, short_message: part(1, [0, 0x61, 0, 0, 0xd8, 0x3d]) });
    await submit(esme, { esm_class: 0x40, data_coding: 8, short_message: part(2, [0xde, 0x00, 0xdc, 0x00]) });
    expect(h.stored.map((m) => m.text)).toEqual(['a😀\uFFFD']);
  });

  it('acknowledges and drops the STOP footer from a number that suppresses it', async () => {
    h.clients.set(1, { ...h.clients.get(1)!, numbers: h.clients.get(1)!.numbers.map((n) => ({ ...n, ignoreStopCmdSending: true })) });
    expect((await submit(esme, { short_message: Buffer.from('Reply STOP to end messages.') })).command_status).toBe(0);
    expect(h.stored).toHaveLength(0);
  });

  it('answers ESME_RINVBNDSTS for a receiver and before a bind', async () => {
    const rx = await h.bound(h.clients.get(1)!, 'bind_receiver');
    expect((await submit(rx, { short_message: Buffer.from('x') })).command_status).toBe(0x04);
    expect((await submit(await h.connect(), { short_message: Buffer.from('x') })).command_status).toBe(0x04);
  });

  it("answers ESME_RINVBNDSTS (not RSYSERR) to a submit sent after the client's own unbind", async () => {
    const c = h.add(legacyClient(1, { numbers: [A] }));
    const raw = await rawSocket(h.server.address().port);
    raw.write(encodePdu('bind_transceiver', 1, { system_id: c.username, password: c.password }));
    expect((await raw.read(1))[0]!.readUInt32BE(8)).toBe(0);
    raw.write(
      Buffer.concat([
        encodePdu('unbind', 2),
        encodePdu('submit_sm', 3, { source_addr: A.slice(1), destination_addr: '15559990001', short_message: Buffer.from('late') }),
      ]),
    );
    const answers = await raw.read(2);
    expect(answers.map((a) => [a.readUInt32BE(4), a.readUInt32BE(8), a.readUInt32BE(12)])).toEqual([
      [0x80000004, 0x04, 3],
      [0x80000006, 0, 2],
    ]);
  });
});

describe('session care', () => {
  it('answers enquire_link, query_sm from the records, and unbind', async () => {
    const esme = await h.bound(h.add(legacyClient(1, { numbers: [A] })));
    expect((await call(esme, 'enquire_link')).command_status).toBe(0);
    const { message_id } = await submit(esme, { short_message: Buffer.from('q') });
    h.records.push({
      messageId: message_id,
      clientId: 1,
      direction: 'outbound',
      status: 'delivered',
      updatedAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    } as never);
    expect(await call(esme, 'query_sm', { message_id, source_addr: A.slice(1) })).toMatchObject({
      command_status: 0,
      message_id,
      message_state: 2,
    });
    expect((await call(esme, 'query_sm', { message_id: 'unknown', source_addr: A.slice(1) })).command_status).toBe(0x0c);
    // A NUL inside the id (a broken client) is refused before any database query.
    expect((await call(esme, 'query_sm', { message_id: 'a\u0000b', source_addr: A.slice(1) })).command_status).toBe(0x0c);
    expect((await call(esme, 'unbind')).command_status).toBe(0);
    await closed(esme);
    await until(() => h.server.sessions.all().length === 0);
  });

  it('answers generic_nack for unknown commands and malformed bodies, and stays up', async () => {
    const c = h.add(legacyClient(1, { numbers: [A] }));
    const raw = await rawSocket(h.server.address().port);
    const unknown = encodePdu('enquire_link', 11);
    unknown.writeUInt32BE(0x00000099, 4);
    const cut = encodePdu('submit_sm', 12, { source_addr: 'x', destination_addr: 'y', short_message: Buffer.from('z') }).subarray(0, 24);
    cut.writeUInt32BE(24, 0);
    raw.write(
      Buffer.concat([
        unknown,
        cut,
        encodePdu('data_sm', 13),
        encodePdu('bind_transceiver', 14, { system_id: c.username, password: c.password }),
      ]),
    );
    const answers = await raw.read(4);
    expect(answers.map((a) => [a.readUInt32BE(4), a.readUInt32BE(8), a.readUInt32BE(12)])).toEqual([
      [0x80000000, 0x03, 11],
      [0x80000000, 0x02, 12],
      [0x80000000, 0x03, 13],
      [0x80000009, 0, 14],
    ]);
    raw.end();
  });

  it('answers broken framing with generic_nack and closes that session only', async () => {
    const esme = await h.bound(h.add(legacyClient(1, { numbers: [A] })));
    const raw = await rawSocket(h.server.address().port);
    raw.write(Buffer.from([0, 0, 0, 4, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 5]));
    const [nack] = await raw.read(1);
    expect([nack.readUInt32BE(4), nack.readUInt32BE(8), nack.readUInt32BE(12)]).toEqual([0x80000000, 0x02, 5]);
    await raw.ended;
    expect((await call(esme, 'enquire_link')).command_status).toBe(0);
  });

  it('sends enquire_link when idle and closes a session that does not answer', async () => {
    await h.stop();
    h = await new ServerHarness().start({ enquireLinkIntervalMs: 1_000, timeoutMs: 1_000 });
    const c = h.add(legacyClient(1));
    const polite = await h.bound(c);
    polite.on('enquire_link', (pdu) => polite.send(pdu.response()));
    const silent = await h.bound(c);
    let asked = 0;
    silent.on('enquire_link', () => asked++);
    await closed(silent);
    expect(asked).toBeGreaterThan(0);
    expect(polite.socket.destroyed).toBe(false);
    expect(h.server.sessions.all()).toHaveLength(1);
  }, 10_000);

  it('delivers through BoundSession.deliver with its window and reports the client answer', async () => {
    const c = h.add(legacyClient(1));
    const esme = await h.bound(c);
    const seen: string[] = [];
    esme.on('deliver_sm', (pdu) => {
      seen.push(pdu.short_message.message);
      esme.send(pdu.response({ command_status: seen.length === 2 ? 0x58 : 0 }));
    });
    const [session] = h.server.sessions.receivingSessions(1);
    const addresses = {
      source_addr: '+15550001000',
      source_addr_ton: 1,
      source_addr_npi: 1,
      destination_addr: '+15559990001',
      dest_addr_ton: 1,
      dest_addr_npi: 1,
    };
    const part = (text: string) => ({ shortMessage: Buffer.from(text), esmClass: 0, dataCoding: 0 });
    const results = await Promise.all(['one', 'two', 'three'].map((t) => session.deliver(addresses, part(t))));
    expect(results.map((r) => r.commandStatus).sort()).toEqual([0, 0, 0x58]);
    expect(seen.sort()).toEqual(['one', 'three', 'two']);
  });

  it('drains on stop: submits in hand are answered, new ones refused, then the ESME gets unbind', async () => {
    const c = h.add(legacyClient(1, { numbers: [A] }));
    const esme = await h.bound(c);
    const unbinds: number[] = [];
    esme.on('unbind', (pdu) => {
      unbinds.push(pdu.sequence_number);
      esme.send(pdu.response());
    });
    h.ingressDelayMs = 300;
    const answer = submit(esme, { short_message: Buffer.from('last') });
    await until(() => h.ingressCalls === 1);
    const stopping = h.server.stop();
    const late = submit(esme, { short_message: Buffer.from('too late') });
    expect((await answer).command_status).toBe(0);
    expect((await late).command_status).toBe(0x08);
    await stopping;
    expect(h.stored.map((m) => m.text)).toEqual(['last']);
    expect(unbinds).toHaveLength(1);
    await closed(esme);
  });
});

/** A bare TCP client reading whole PDUs back. */
async function rawSocket(port: number, from?: string) {
  const socket = tcpConnect({ port, host: '127.0.0.1', localAddress: from });
  await new Promise((resolve) => socket.once('connect', resolve));
  let buffer = Buffer.alloc(0);
  const waiters: Array<() => void> = [];
  socket.on('data', (d) => {
    buffer = Buffer.concat([buffer, d]);
    for (const w of waiters.splice(0)) w();
  });
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return {
    write: (b: Buffer) => socket.write(b),
    end: () => socket.end(),
    ended,
    async read(count: number): Promise<Buffer[]> {
      const pdus: Buffer[] = [];
      while (pdus.length < count) {
        if (buffer.length >= 4 && buffer.length >= buffer.readUInt32BE(0)) {
          const n = buffer.readUInt32BE(0);
          pdus.push(buffer.subarray(0, n));
          buffer = buffer.subarray(n);
          continue;
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
      return pdus;
    },
  };
}

describe('listeners', () => {
  const proxyV1 = (ip: string) => Buffer.from(`PROXY TCP4 ${ip} 127.0.0.1 40000 2775\r\n`);
  const proxyV2 = (ip: number[]) => {
    const head = Buffer.from('0d0a0d0a000d0a515549540a2111000c', 'hex');
    const body = Buffer.alloc(12);
    Buffer.from(ip).copy(body, 0);
    Buffer.from([127, 0, 0, 1]).copy(body, 4);
    body.writeUInt16BE(40000, 8);
    body.writeUInt16BE(2775, 10);
    return Buffer.concat([head, body]);
  };

  it('takes the client IP from a PROXY v1 or v2 header, for the allow-list and stats', async () => {
    await h.stop();
    h = await new ServerHarness().start({ proxyProtocol: true });
    const c = h.add(legacyClient(1, { address: '203.0.113.7,198.51.100.9' }));
    const bind = encodePdu('bind_transceiver', 1, { system_id: c.username, password: c.password });
    for (const header of [proxyV1('203.0.113.7'), proxyV2([198, 51, 100, 9])]) {
      const raw = await rawSocket(h.server.address().port);
      raw.write(Buffer.concat([header, bind]));
      const [resp] = await raw.read(1);
      expect(resp.readUInt32BE(8)).toBe(0);
    }
    expect(
      h.server
        .stats()
        .map((s) => s.ip_address)
        .sort(),
    ).toEqual(['198.51.100.9', '203.0.113.7']);
    const wrongIp = await rawSocket(h.server.address().port);
    wrongIp.write(Buffer.concat([proxyV1('192.0.2.1'), bind]));
    expect((await wrongIp.read(1))[0].readUInt32BE(8)).toBe(0x0e);
  });

  it('refuses a connection without a PROXY header when the protocol is on', async () => {
    await h.stop();
    h = await new ServerHarness().start({ proxyProtocol: true });
    const c = h.add(legacyClient(1));
    const raw = await rawSocket(h.server.address().port);
    raw.write(encodePdu('bind_transceiver', 1, { system_id: c.username, password: c.password }));
    await raw.ended;
    expect(h.server.sessions.all()).toHaveLength(0);
  });

  it('closes a connection whose PROXY header comes from a peer not in TRUSTED_PROXIES', async () => {
    await h.stop();
    h = await new ServerHarness().start({ proxyProtocol: true, trustedProxies: ['10.0.0.0/8'] });
    const c = h.add(legacyClient(1, { address: '203.0.113.7' }));
    const raw = await rawSocket(h.server.address().port);
    raw.write(Buffer.concat([proxyV1('203.0.113.7'), encodePdu('bind_transceiver', 1, { system_id: c.username, password: c.password })]));
    await raw.ended;
    expect(h.server.sessions.all()).toHaveLength(0);
    expect((await h.metrics.connectionsRefused.get()).values).toEqual([
      expect.objectContaining({ value: 1, labels: expect.objectContaining({ door: 'smpp', reason: 'proxy_untrusted' }) }),
    ]);
  });

  it('refuses connections past the per-IP and the node-wide cap (trusted proxies have no per-IP one), and keeps serving the others', async () => {
    await h.stop();
    h = await new ServerHarness().start({ maxConnections: 6, maxConnectionsPerIp: 2, trustedProxies: ['127.0.0.4'] });
    const c = h.add(legacyClient(1));
    const bind = () => encodePdu('bind_transceiver', 1, { system_id: c.username, password: c.password });
    const bound = async (from: string) => {
      const raw = await rawSocket(h.server.address().port, from);
      raw.write(bind());
      return Promise.race([
        raw.read(1).then(([resp]) => (resp!.readUInt32BE(8) === 0 ? 'bound' : 'refused')),
        raw.ended.then(() => 'closed'),
      ]);
    };
    expect([await bound('127.0.0.1'), await bound('127.0.0.1'), await bound('127.0.0.1')]).toEqual(['bound', 'bound', 'closed']);
    expect(await bound('127.0.0.2')).toBe('bound');
    // A trusted proxy seen directly (a balancer without PROXY protocol) carries many clients: no per-IP cap.
    expect([await bound('127.0.0.4'), await bound('127.0.0.4'), await bound('127.0.0.4')]).toEqual(['bound', 'bound', 'bound']);
    expect(await bound('127.0.0.5')).toBe('closed');
    expect(h.server.sessions.all()).toHaveLength(6);
  });

  it.skipIf(!hasOpenssl())('speaks SMPP over TLS, also behind a PROXY header', async () => {
    const { cert, key } = selfSigned();
    for (const proxyProtocol of [false, true]) {
      await h.stop();
      h = await new ServerHarness().start({ proxyProtocol, tls: { listen: { host: '127.0.0.1', port: 0 }, cert, key } });
      const c = h.add(legacyClient(1, { numbers: [A], address: proxyProtocol ? '203.0.113.7' : '' }));
      const port = h.server.tlsAddress()!.port;
      const socket = tcpConnect(port, '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      if (proxyProtocol) socket.write(proxyV1('203.0.113.7'));
      const secure = tlsConnect({ socket, rejectUnauthorized: false });
      await new Promise((resolve) => secure.once('secureConnect', resolve));
      const esme = new smppLib.Session({ socket: secure }) as EsmeSession;
      esme.on('error', () => undefined);
      expect((await call(esme, 'bind_transceiver', { system_id: c.username, password: c.password })).command_status).toBe(0);
      expect((await submit(esme, { short_message: Buffer.from('over tls') })).command_status).toBe(0);
      esme.destroy();
    }
    expect(h.stored.map((m) => m.text)).toEqual(['over tls']);
  });
});

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

function selfSigned(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'smpp-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-days',
        '1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
