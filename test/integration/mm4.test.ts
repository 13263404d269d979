/**
 * MM4 end to end, on the embedded default and on PostgreSQL + nats-server:
 * swaks and nodemailer send an MMS (JPEG, PNG, GIF, a short MP4 and text, about 2 MB together) from a
 * legacy client and it reaches the test carrier, whose limit (MEDIA_CARRIER_LIMITS) is far smaller,
 * with /media/{token} URLs serving the transcoded files within that limit; an inbound carrier MMS reaches the
 * legacy client's SMTP server as an MM4_forward.REQ; a 20 MB attachment, a malformed MIME body
 * and an unknown sender IP get their SMTP errors and nothing is routed; MM4_forward.RES and
 * MM4_delivery_report.REQ become status events that reach the sender as delivery reports.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { simpleParser } from 'mailparser';
import { createTransport } from 'nodemailer';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../internal/store/index.js';
import { FakeCarrier, registerFakeCarriers, telnyxEvent } from '../support/fake-carrier.js';
import { animatedGif, clipMp4, largeJpeg, largePng } from '../support/media-fixtures.js';
import { findBinary, freePort } from '../support/process.js';
import { SmtpSink, type SunkMail } from '../support/smtp-sink.js';
import { nodeModes, startTestNode, type TestNode } from '../support/test-node.js';
import { waitFor } from '../support/wait.js';

const run = promisify(execFile);
const API_KEY = 'mm4-admin-key';
/** The test carrier's MMS limit (MEDIA_CARRIER_LIMITS), small so every part of the big MMS must shrink. */
const LIMIT = 350_000;
const missingTools = ['swaks', 'ffmpeg', 'ffprobe'].filter((tool) => !findBinary(tool));
if (missingTools.length > 0) process.stderr.write(`[skip] MM4 suite: ${missingTools.join(', ')} not installed (scripts/test-deps.sh)\n`);

const PBX_A = '+15550001000';
const PBX_B = '+15550002000';
const PBX_C = '+15550003000';

const modes = nodeModes('mm4', missingTools.length > 0);

interface Fixture {
  name: string;
  type: string;
  path: string;
  bytes: Buffer;
}

/** Small real media files: three images made with sharp and a one-second H.264 clip. */
async function makeFixtures(dir: string): Promise<Fixture[]> {
  const base = sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 30, b: 30 } } });
  const images: Array<[string, string, Buffer]> = [
    ['photo.jpg', 'image/jpeg', await base.clone().jpeg().toBuffer()],
    ['shot.png', 'image/png', await base.clone().png().toBuffer()],
    ['anim.gif', 'image/gif', await base.clone().gif().toBuffer()],
  ];
  const fixtures: Fixture[] = [];
  for (const [name, type, bytes] of images) {
    const path = join(dir, name);
    await writeFile(path, bytes);
    fixtures.push({ name, type, path, bytes });
  }
  const clip = join(dir, 'clip.mp4');
  await run('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    'testsrc=size=64x48:rate=10',
    '-t',
    '1',
    '-pix_fmt',
    'yuv420p',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    clip,
  ]);
  fixtures.push({ name: 'clip.mp4', type: 'video/mp4', path: clip, bytes: await readFile(clip) });
  return fixtures;
}

/**
 * The MMS the legacy client sends to the carrier: a photo-like JPEG, a noisy PNG, an animated GIF
 * and a 2 s H.264 clip, about 2 MB together, each well over its share of LIMIT.
 */
async function makeBigMedia(dir: string): Promise<Fixture[]> {
  const made = await Promise.all([
    largeJpeg(1000, 750).then((bytes) => ({ name: 'photo.jpg', type: 'image/jpeg', bytes })),
    largePng(400).then((bytes) => ({ name: 'shot.png', type: 'image/png', bytes })),
    animatedGif(400, 300, 2).then((bytes) => ({ name: 'anim.gif', type: 'image/gif', bytes })),
    clipMp4(2).then((bytes) => ({ name: 'clip.mp4', type: 'video/mp4', bytes })),
  ]);
  const media: Fixture[] = [];
  for (const { name, type, bytes } of made) {
    const path = join(dir, `big-${name}`);
    await writeFile(path, bytes);
    media.push({ name, type, path, bytes });
  }
  return media;
}

/** An MM4 address as nodemailer writes it (`<+1…/TYPE=PLMN>`: it drops addresses without '@' otherwise). */
const plmn = (number: string) => ({ name: '', address: `${number}/TYPE=PLMN` });

/** The X-Mms-* block of an MM4_forward.REQ from a legacy client. */
function requestHeaders(id: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'X-Mms-3GPP-MMS-Version': '6.10.0',
    'X-Mms-Message-Type': 'MM4_forward.REQ',
    'X-Mms-Message-ID': `<${id}@pbx.test>`,
    'X-Mms-Transaction-ID': id,
    ...extra,
  };
}

describe.each(modes)('MM4, $name', (mode) => {
  let gw: TestNode;
  /** The node's own store (legacy clients may not use the REST API, so records are read here). */
  let store: Store;
  let fake: FakeCarrier;
  let sinkA: SmtpSink;
  let sinkB: SmtpSink;
  let base: string;
  let mm4Port: number;
  let dataDir: string;
  let fixtures: Fixture[];
  let bigMedia: Fixture[];

  const api = (...args: Parameters<TestNode['api']>) => gw.api(...args);

  async function legacyClient(name: string, number: string, sinkPort: number) {
    const c = await api('POST', '/clients', { username: name, password: `${name}-pass`, type: 'legacy', address: '127.0.0.1' });
    expect(c.status).toBe(201);
    expect((await api('PUT', `/clients/${c.body.id}/settings`, { mm4_port: sinkPort })).status).toBe(200);
    expect((await api('POST', `/clients/${c.body.id}/numbers`, { number, carrier: 'telnyx-main' })).status).toBe(201);
  }

  /** swaks as a legacy client would use it; resolves with its transcript and exit code. */
  async function swaks(args: string[]): Promise<{ code: number; out: string }> {
    const res = await run('swaks', ['--server', '127.0.0.1', '--port', String(mm4Port), '--timeout', '60', ...args], {
      env: { ...process.env, POSIXLY_CORRECT: '1' },
      maxBuffer: 64 * 1024 * 1024,
    })
      .then((r) => ({ code: 0, out: r.stdout + r.stderr }))
      .catch((err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }));
    return res;
  }

  const transport = () => createTransport({ host: '127.0.0.1', port: mm4Port, secure: false, ignoreTLS: true });
  // Legacy clients may not use /messages/history (403), so the sender's records are counted in the store.
  const historyTotal = async () => {
    const clients = (await api('GET', '/clients')).body as Array<{ id: number; username: string }>;
    const clientId = clients.find((c) => c.username === 'pbx')!.id;
    return (await store.records.history({ clientId, page: 1, perPage: 1 })).total;
  };
  const telnyxTo = (to: string) => fake.sent('telnyx').filter((r) => (r.body as { to?: string }).to === to);

  beforeAll(async () => {
    if (mode.skip) return;
    dataDir = await mkdtemp(join(tmpdir(), 'msggw-mm4-'));
    [fixtures, bigMedia] = await Promise.all([makeFixtures(dataDir), makeBigMedia(dataDir)]);
    const bigTotal = bigMedia.reduce((sum, f) => sum + f.bytes.length, 0);
    expect(bigTotal).toBeGreaterThan(4 * LIMIT);
    fake = await FakeCarrier.start();
    [sinkA, sinkB] = await Promise.all([SmtpSink.start(), SmtpSink.start()]);
    mm4Port = await freePort();
    gw = await startTestNode({
      serverId: 'mm4node',
      apiKey: API_KEY,
      dataDir,
      env: {
        MM4_LISTEN: `127.0.0.1:${mm4Port}`,
        MM4_TIMEOUT_SECS: '10',
        MM4_RETRIES: '2',
        MM4_ORIGINATOR_SYSTEM: 'system@gw.test',
        MM4_MSG_ID_HOST: 'gw.test',
        CARRIER_RETRY_DELAY_SECS: '0',
        MEDIA_CARRIER_LIMITS: `telnyx-main=${LIMIT}`,
        MM4_MAX_MESSAGE_BYTES: String(8 * 1024 * 1024),
        TRANSCODE_TEMP_PATH: 'transcode',
        ...(await mode.env()), // under the data dir
      },
    });
    base = gw.base;
    store = gw.node.store!;
    await registerFakeCarriers(api, fake, ['telnyx']);
    await legacyClient('pbx', PBX_A, sinkA.port);
    await legacyClient('pbx2', PBX_B, sinkB.port);
    await legacyClient('pbx3', PBX_C, sinkB.port);
  }, 180_000);

  afterAll(async () => {
    if (gw)
      await gw.stop(); // removes dataDir too
    else if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await Promise.all([fake?.close(), sinkA?.close(), sinkB?.close()]);
  });

  /**
   * The carrier got `to` with the text and every part of bigMedia as a /media/{token} URL of ours;
   * the files they serve are images or video, each smaller than sent, and fit LIMIT together; the
   * sender's record shows the transcoding.
   */
  async function expectTranscodedAtCarrier(to: string, text: string) {
    await waitFor(() => telnyxTo(to).length > 0, 90_000);
    const body = telnyxTo(to)[0]!.body as { from: string; text: string; media_urls: string[] };
    expect(body).toMatchObject({ from: PBX_A, text });
    expect(body.media_urls).toHaveLength(bigMedia.length);
    const served: Array<{ type: string; bytes: Buffer }> = [];
    for (const url of body.media_urls) {
      expect(url.startsWith(`${base}/media/`)).toBe(true);
      const res = await fetch(url);
      expect(res.status).toBe(200);
      const type = res.headers.get('content-type') ?? '';
      expect(type).toMatch(/^(image|video)\//);
      served.push({ type, bytes: Buffer.from(await res.arrayBuffer()) });
    }
    const servedTotal = served.reduce((sum, f) => sum + f.bytes.length, 0);
    expect(servedTotal).toBeLessThanOrEqual(LIMIT);
    // In the order sent: each part was over its share of LIMIT, so each came back smaller and non-empty.
    for (const [i, file] of served.entries()) {
      expect(file.bytes.length).toBeGreaterThan(0);
      expect(file.bytes.length, bigMedia[i]!.name).toBeLessThan(bigMedia[i]!.bytes.length);
    }
    expect(served.map((f) => f.type)).toEqual([
      'image/jpeg',
      expect.stringMatching(/^image\/(png|jpeg)$/),
      expect.stringMatching(/^image\/(gif|jpeg)$/),
      'video/mp4',
    ]);
    expect((await sharp(served[0]!.bytes).metadata()).format).toBe('jpeg');

    const clients = (await api('GET', '/clients')).body as Array<{ id: number; username: string }>;
    const clientId = clients.find((c) => c.username === 'pbx')!.id;
    const record = async () => (await store.records.history({ clientId, to, direction: 'outbound', page: 1, perPage: 10 })).records[0];
    await waitFor(async () => (await record())?.transcodingPerformed === true, 30_000);
    const rec = (await record())!;
    expect(rec.mediaCount).toBe(bigMedia.length);
    // The media as sent (SMIL is not counted) and as the carrier got them.
    expect(rec.originalSizeBytes).toBe(bigMedia.reduce((sum, f) => sum + f.bytes.length, 0));
    expect(rec.transcodedSizeBytes).toBeGreaterThan(0);
    expect(rec.transcodedSizeBytes).toBeLessThanOrEqual(LIMIT);
    expect(rec.transcodedSizeBytes).toBe(servedTotal);
  }

  it.skipIf(mode.skip)(
    'takes a 2 MB MMS from swaks to the carrier as media URLs serving files transcoded under its limit',
    async () => {
      const attach = bigMedia.flatMap((f) => ['--attach-type', f.type, '--attach-name', f.name, '--attach', `@${f.path}`]);
      const headers = Object.entries(requestHeaders('sw-1')).flatMap(([k, v]) => ['--add-header', `${k}: ${v}`]);
      // A bare envelope, as gomsggw-era peers write it (smtp-server alone would refuse it).
      const res = await swaks([
        '--from',
        `${PBX_A}/TYPE=PLMN`,
        '--to',
        '+15559990001/TYPE=PLMN',
        '--h-From',
        `${PBX_A}/TYPE=PLMN`,
        '--h-To',
        '+15559990001/TYPE=PLMN',
        ...headers,
        '--body',
        'hello from swaks',
        ...attach,
      ]);
      expect(res.out).toContain('250 Message queued for processing');
      expect(res.code).toBe(0);
      await expectTranscodedAtCarrier('+15559990001', 'hello from swaks');
    },
    120_000,
  );

  it.skipIf(mode.skip)(
    'takes a 2 MB multipart/related MMS with SMIL from nodemailer to the carrier, transcoded under its limit',
    async () => {
      const smil = '<smil><body><par dur="5000ms"><img src="photo.jpg"/></par></body></smil>';
      await transport().sendMail({
        envelope: { from: `${PBX_A}/TYPE=PLMN@pbx.test`, to: ['+15559990002/TYPE=PLMN@gw.test'] },
        from: plmn(PBX_A),
        to: plmn('+15559990002'),
        headers: requestHeaders('nm-1'),
        text: 'hello from nodemailer',
        attachments: [
          { filename: '0.smil', content: smil, contentType: 'application/smil', cid: '0.smil' },
          ...bigMedia.map((f) => ({ filename: f.name, content: f.bytes, contentType: f.type, cid: f.name })),
        ],
      });
      await expectTranscodedAtCarrier('+15559990002', 'hello from nodemailer');
    },
    120_000,
  );

  it.skipIf(mode.skip)(
    'takes a forward the peer sends again (same X-Mms-Message-ID) once per recipient, recording no copies',
    async () => {
      const before = await historyTotal();
      const mail = () =>
        transport().sendMail({
          envelope: { from: `${PBX_A}/TYPE=PLMN@pbx.test`, to: ['+15559990031/TYPE=PLMN@gw.test', '+15559990032/TYPE=PLMN@gw.test'] },
          from: plmn(PBX_A),
          to: [plmn('+15559990031'), plmn('+15559990032')],
          headers: requestHeaders('again-1'),
          text: 'sent twice by the peer',
          attachments: [{ filename: fixtures[0]!.name, content: fixtures[0]!.bytes, contentType: fixtures[0]!.type }],
        });
      // As after a lost 250: the MMSC sends the whole forward again.
      await mail();
      await mail();
      await waitFor(() => telnyxTo('+15559990031').length > 0 && telnyxTo('+15559990032').length > 0, 60_000);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(telnyxTo('+15559990031')).toHaveLength(1);
      expect(telnyxTo('+15559990032')).toHaveLength(1);
      // One leg each, not a second one left queued under the copy's id.
      expect(await historyTotal()).toBe(before + 2);
    },
    90_000,
  );

  it.skipIf(mode.skip)('delivers an inbound carrier MMS to the legacy client as an MM4_forward.REQ', async () => {
    const jpeg = fixtures[0]!;
    const url = fake.addMedia('inbound.jpg', jpeg.bytes, 'image/jpeg');
    const inbound = (await api('GET', '/carriers')).body.find((c: { name: string }) => c.name === 'telnyx-main').webhook_url;
    const event = telnyxEvent('message.received', {
      id: 'tx-mms-1',
      direction: 'inbound',
      type: 'MMS',
      text: 'picture for you',
      from: { phone_number: '+15557770000' },
      to: [{ phone_number: PBX_A }],
      media: [{ url, content_type: 'image/jpeg' }],
    });
    expect((await fake.postTelnyxWebhook(inbound, event)).status).toBe(200);

    const mail = await sinkA.waitFor((m) => m.text.includes('MM4_forward.REQ') && m.text.includes('+15557770000'), 60_000);
    expect(mail.to).toEqual([`${PBX_A}/TYPE=PLMN@[127.0.0.1]`]);
    const parsed = await simpleParser(mail.raw);
    const header = (name: string) => String(parsed.headers.get(name.toLowerCase()) ?? '');
    expect(header('X-Mms-3GPP-Mms-Version')).toBe('6.10.0');
    expect(header('X-Mms-Message-Type')).toBe('MM4_forward.REQ');
    expect(header('X-Mms-Originator-System')).toBe('system@gw.test');
    expect(header('X-Mms-Message-Id')).toMatch(/^<.+@gw\.test>$/);
    expect(mail.text).toMatch(/^To: \+15550001000\r\nFrom: \+15557770000\r\n/);
    expect(parsed.text?.trim()).toBe('picture for you');
    const smil = parsed.attachments.find((a) => a.contentType === 'application/smil');
    expect(smil?.content.toString()).toContain('<img src=');
    const image = parsed.attachments.find((a) => a.contentType.startsWith('image/'));
    expect(image?.content.length).toBeGreaterThan(0);

    // Handed over, A's leg reads delivered. A's MMSC then reports the message expired: that is
    // recorded on A's leg at once (a carrier takes no reports, so nobody is told), not retried
    // for seconds and dropped.
    const id = /^<([^@>]+)@gw\.test>$/.exec(header('X-Mms-Message-Id'))![1]!;
    const leg = async () => (await store.records.byMessageId(id)).find((r) => r.direction === 'inbound');
    await waitFor(async () => (await leg())?.status === 'delivered', 10_000);
    await sendAsPeer([
      ['From', `${PBX_A}/TYPE=PLMN`],
      ['To', '+15557770000/TYPE=PLMN'],
      ['X-Mms-Message-Type', 'MM4_delivery_report.REQ'],
      ['X-Mms-Transaction-ID', 'a-dr-1'],
      ['X-Mms-Message-ID', `<${id}@gw.test>`],
      ['X-Mms-MM-Status-Code', 'Expired'],
    ]);
    await waitFor(async () => (await leg())?.status === 'expired', 3_000);
  });

  it.skipIf(mode.skip)('answers 552 to a 20 MB attachment and stores nothing', async () => {
    const before = { history: await historyTotal(), carrier: fake.sent().length };
    const big = Buffer.alloc(20 * 1024 * 1024, 7);
    const err = await transport()
      .sendMail({
        envelope: { from: `${PBX_A}/TYPE=PLMN@pbx.test`, to: ['+15559990003/TYPE=PLMN@gw.test'] },
        from: plmn(PBX_A),
        to: plmn('+15559990003'),
        headers: requestHeaders('big-1'),
        text: 'too big',
        attachments: [{ filename: 'big.jpg', content: big, contentType: 'image/jpeg' }],
      })
      .then(
        () => undefined,
        (e: { responseCode?: number; response?: string }) => e,
      );
    expect(err?.responseCode).toBe(552);
    await expectNothingNew(before);
  });

  it.skipIf(mode.skip)('answers 554 to a malformed MIME body and routes nothing', async () => {
    const before = { history: await historyTotal(), carrier: fake.sent().length };
    const raw = [
      `From: ${PBX_A}/TYPE=PLMN`,
      'To: +15559990004/TYPE=PLMN',
      ...Object.entries(requestHeaders('bad-1')).map(([k, v]) => `${k}: ${v}`),
      'MIME-Version: 1.0',
      'Content-Type: multipart/related; boundary="cut"',
      '',
      '--cut',
      'Content-Type: image/jpeg',
      'Content-Transfer-Encoding: base64',
      '',
      '/9j/4AAQSkZJRg',
      '',
    ].join('\r\n');
    const err = await transport()
      .sendMail({ envelope: { from: `${PBX_A}@pbx.test`, to: ['+15559990004@gw.test'] }, raw })
      .then(
        () => undefined,
        (e: { responseCode?: number; response?: string }) => e,
      );
    expect(err?.responseCode).toBe(554);
    expect(err?.response).toMatch(/malformed MIME/);
    await expectNothingNew(before);
  });

  it.skipIf(mode.skip)(
    'answers 554 to hostile MIME (thousands of parts, deep nesting, endless part headers), routes nothing and keeps serving',
    async () => {
      const before = { history: await historyTotal(), carrier: fake.sent().length };
      const mail = (boundary: string, body: string) =>
        [
          `From: ${PBX_A}/TYPE=PLMN`,
          'To: +15559990006/TYPE=PLMN',
          ...Object.entries(requestHeaders(`hostile-${boundary}`)).map(([k, v]) => `${k}: ${v}`),
          'MIME-Version: 1.0',
          `Content-Type: multipart/mixed; boundary="${boundary}"`,
          '',
          body,
          `--${boundary}--`,
          '',
        ].join('\r\n');
      let nested = 'x';
      for (let i = 3_000; i >= 1; i--)
        nested = `--n${i}\r\nContent-Type: multipart/mixed; boundary="n${i + 1}"\r\n\r\n${nested}\r\n--n${i}--`;
      const hostile = [
        mail('p', Array.from({ length: 5_000 }, () => '--p\r\nContent-Type: image/png\r\n\r\nP').join('\r\n')),
        mail('n0', `--n0\r\nContent-Type: multipart/mixed; boundary="n1"\r\n\r\n${nested}`),
        mail('h', `--h\r\n${'X-A: b\r\n'.repeat(200_000)}Content-Type: image/png\r\n\r\nP`),
      ];
      for (const raw of hostile) {
        const err = await transport()
          .sendMail({ envelope: { from: `${PBX_A}@pbx.test`, to: ['+15559990006@gw.test'] }, raw })
          .then(
            () => undefined,
            (e: { responseCode?: number; response?: string }) => e,
          );
        expect(err?.responseCode).toBe(554);
        expect(err?.response).toMatch(/malformed MIME/);
      }
      await expectNothingNew(before);
      // The node took all that and still takes a well-formed MMS (waited for to the end, so later tests count nothing of it).
      const ok = await transport().sendMail({
        envelope: { from: `${PBX_A}@pbx.test`, to: ['+15559990006@gw.test'] },
        from: plmn(PBX_A),
        to: plmn('+15559990006'),
        headers: requestHeaders('after-hostile'),
        text: 'still here',
      });
      expect(ok.response).toMatch(/^250 /);
      await waitFor(() => telnyxTo('+15559990006').length > 0, 30_000);
      await waitFor(async () => (await historyTotal()) > before.history, 30_000);
    },
  );

  it.skipIf(mode.skip)('answers 554 naming a missing required header, and 550 to a sender number the client does not own', async () => {
    const missing = await swaks([
      '--from',
      'pbx@pbx.test',
      '--to',
      'gw@gw.test',
      '--h-From',
      `${PBX_A}/TYPE=PLMN`,
      '--h-To',
      '+15559990005/TYPE=PLMN',
      '--body',
      'x',
    ]);
    expect(missing.out).toContain('554 missing required header: X-Mms-3GPP-MMS-Version');
    const headers = Object.entries(requestHeaders('own-1')).flatMap(([k, v]) => ['--add-header', `${k}: ${v}`]);
    const notOwned = await swaks([
      '--from',
      'pbx@pbx.test',
      '--to',
      'gw@gw.test',
      '--h-From',
      '+15558880000/TYPE=PLMN',
      '--h-To',
      '+15559990005/TYPE=PLMN',
      ...headers,
      '--body',
      'x',
    ]);
    expect(notOwned.out).toContain('550 the sender +15558880000 is not a number of this client');
  });

  it.skipIf(mode.skip)('answers 452 once the sender is over its MMS quota', async () => {
    const clients = (await api('GET', '/clients')).body as Array<{ id: number; username: string }>;
    const id = clients.find((c) => c.username === 'pbx3')!.id;
    expect((await api('PUT', `/clients/${id}/settings`, { mms_daily_limit: 1 })).status).toBe(200);
    const send = (n: string) => {
      const headers = Object.entries(requestHeaders(`q-${n}`)).flatMap(([k, v]) => ['--add-header', `${k}: ${v}`]);
      return swaks([
        '--from',
        `${PBX_C}/TYPE=PLMN`,
        '--to',
        '+15559990007/TYPE=PLMN',
        '--h-From',
        `${PBX_C}/TYPE=PLMN`,
        '--h-To',
        '+15559990007/TYPE=PLMN',
        ...headers,
        '--body',
        `quota ${n}`,
      ]);
    };
    expect((await send('1')).out).toContain('250 Message queued for processing');
    const second = await send('2');
    expect(second.out).toMatch(/<\*\* 452 /);
    await waitFor(() => telnyxTo('+15559990007').length === 1, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(telnyxTo('+15559990007').map((r) => (r.body as { text: string }).text)).toEqual(['quota 1']);
  });

  it.skipIf(mode.skip)('refuses a peer whose IP no client allows with 550 Access denied', async () => {
    const before = { history: await historyTotal(), carrier: fake.sent().length };
    const headers = Object.entries(requestHeaders('ip-1')).flatMap(([k, v]) => ['--add-header', `${k}: ${v}`]);
    const res = await swaks([
      '--local-interface',
      '127.0.0.2',
      '--from',
      'x@pbx.test',
      '--to',
      'gw@gw.test',
      '--h-From',
      `${PBX_A}/TYPE=PLMN`,
      '--h-To',
      '+15559990006/TYPE=PLMN',
      ...headers,
      '--body',
      'x',
    ]);
    expect(res.out).toContain('550 Access denied');
    expect(res.code).not.toBe(0);
    await expectNothingNew(before);
  });

  it.skipIf(mode.skip)('turns MM4_forward.RES and MM4_delivery_report.REQ into status events reported to the sender', async () => {
    // A sends B an MMS and asks for an acknowledgement and delivery reports.
    await transport().sendMail({
      envelope: { from: `${PBX_A}/TYPE=PLMN@pbx.test`, to: [`${PBX_B}/TYPE=PLMN@gw.test`] },
      // The envelope-style @domain form some MMSCs also write in From/To.
      from: `${PBX_A}/TYPE=PLMN@pbx.test`,
      to: `${PBX_B}/TYPE=PLMN@gw.test`,
      headers: requestHeaders('dr-1', {
        'X-Mms-Ack-Request': 'Yes',
        'X-Mms-Delivery-Report': 'Yes',
        'X-Mms-Originator-System': 'system@pbx.test',
      }),
      text: 'are you there',
      attachments: [{ filename: 'photo.jpg', content: fixtures[0]!.bytes, contentType: 'image/jpeg' }],
    });
    const ack = await sinkA.waitFor((m) => m.text.includes('MM4_forward.RES'));
    expect(ack.to).toEqual(['system@pbx.test']);
    expect(ack.text).toMatch(/X-Mms-Transaction-ID: dr-1\r\n/);
    expect(ack.text).toMatch(/X-Mms-Request-Status-Code: Ok/);

    const atB = await sinkB.waitFor((m) => m.text.includes('are you there') || m.text.includes('MM4_forward.REQ'));
    const id = /X-Mms-message-Id: <([^@>]+)@gw\.test>/.exec(atB.text)![1]!;
    const report = (status: string) => (m: SunkMail) =>
      m.text.includes('MM4_delivery_report.REQ') &&
      m.text.includes('X-Mms-Message-ID: dr-1@pbx.test') &&
      m.text.includes(`X-Mms-MM-Status-Code: ${status}`);
    // Delivered to B's server: A hears Retrieved.
    await sinkA.waitFor(report('Retrieved'), 30_000);

    // B's server answers with a refusal (MM4_forward.RES), then a delivery report asking for an ack.
    await sendAsPeer([
      ['From', 'system@pbx2.test'],
      ['To', 'system@gw.test'],
      ['X-Mms-Message-Type', 'MM4_forward.RES'],
      ['X-Mms-Transaction-ID', id],
      ['X-Mms-Message-ID', `<${id}@gw.test>`],
      ['X-Mms-Request-Status-Code', 'Error-content-not-accepted'],
    ]);
    await sinkA.waitFor(report('Rejected'), 30_000);
    await sendAsPeer([
      ['From', `${PBX_B}/TYPE=PLMN`],
      ['To', `${PBX_A}/TYPE=PLMN`],
      ['X-Mms-Message-Type', 'MM4_delivery_report.REQ'],
      ['X-Mms-Transaction-ID', 'b-dr-1'],
      ['X-Mms-Message-ID', `<${id}@gw.test>`],
      ['X-Mms-MM-Status-Code', 'Expired'],
      ['X-Mms-Ack-Request', 'Yes'],
      ['X-Mms-Originator-System', 'system@pbx2.test'],
    ]);
    await sinkA.waitFor(report('Expired'), 30_000);
    const drAck = await sinkB.waitFor((m) => m.text.includes('MM4_delivery_report.RES'));
    expect(drAck.text).toMatch(/X-Mms-Transaction-ID: b-dr-1\r\n/);
  });

  /** A header-only MM4 mail from the legacy peer (127.0.0.1). */
  async function sendAsPeer(headers: Array<[string, string]>) {
    const raw = [
      ...headers.map(([k, v]) => `${k}: ${v}`),
      'X-Mms-3GPP-MMS-Version: 6.10.0',
      'MIME-Version: 1.0',
      'Content-Type: text/plain',
      '',
      '',
    ].join('\r\n');
    await transport().sendMail({ envelope: { from: 'system@pbx2.test', to: ['system@gw.test'] }, raw });
  }

  /** Nothing reached the carrier and the sender's history did not grow. */
  async function expectNothingNew(before: { history: number; carrier: number }) {
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.sent().length).toBe(before.carrier);
    expect(before.history).toEqual(expect.any(Number));
    expect(await historyTotal()).toBe(before.history);
  }
});
