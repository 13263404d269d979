/**
 * Transcoding real files under limits: a large JPEG, a PNG with transparency, an
 * animated GIF, a short MP4 and a WAV, each fitted into a budget with sharp and Debian's ffmpeg,
 * the result read back to prove it is a valid file of the type it claims.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PayloadTooLargeError, ValidationError } from '../../internal/errors/index.js';
import { fitPart } from '../../internal/media/index.js';
import { fitAudio, fitVideo } from '../../internal/media/av.js';
import { animatedGif, haveFfmpeg, largeJpeg, largePng, shortMp4, wavTone } from '../support/media-fixtures.js';

const ffmpegReady = await haveFfmpeg();
if (!ffmpegReady) process.stderr.write('[skip] ffmpeg/ffprobe not found (scripts/test-deps.sh installs them)\n');
const run = promisify(execFile);

async function probeCodecs(bytes: Buffer, dir: string): Promise<string[]> {
  const file = join(dir, `probe-${Math.random().toString(36).slice(2)}`);
  await writeFile(file, bytes);
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', file]);
  return stdout.trim().split('\n');
}

describe.skipIf(!ffmpegReady)(`transcoding fixtures${ffmpegReady ? '' : ' [skipped: no ffmpeg]'}`, () => {
  let dir: string;
  const ctx = () => ({ signal: AbortSignal.timeout(60_000), tempDir: dir });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msggw-transcode-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('steps a large JPEG down the ladder to fit 300 KB, oriented and still a JPEG', async () => {
    const bytes = await largeJpeg();
    expect(bytes.length).toBeGreaterThan(2_000_000);
    const out = await fitPart({ bytes, contentType: 'image/jpeg', filename: 'photo.jpg' }, 300_000, ctx());
    expect(out).toMatchObject({ contentType: 'image/jpeg', filename: 'photo.jpg', transcoded: true });
    expect(out.bytes.length).toBeLessThanOrEqual(300_000);
    const meta = await sharp(out.bytes).metadata();
    expect(meta.format).toBe('jpeg');
    expect(meta.width).toBeLessThanOrEqual(1600);
    expect(meta.width! / meta.height!).toBeCloseTo(4 / 3, 1);
  });

  it('turns an oversized PNG into a JPEG labelled as one (upstream kept image/png)', async () => {
    const bytes = await largePng();
    const out = await fitPart({ bytes, contentType: 'image/png', filename: 'shot.png' }, 200_000, ctx());
    expect(out.contentType).toBe('image/jpeg');
    expect(out.filename).toBe('shot.jpg');
    expect(out.bytes.length).toBeLessThanOrEqual(200_000);
    expect((await sharp(out.bytes).metadata()).format).toBe('jpeg');
  });

  it('passes a part that fits through untouched', async () => {
    const bytes = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#abc' } })
      .png()
      .toBuffer();
    const out = await fitPart({ bytes, contentType: 'image/png', filename: 'small.png' }, 100_000, ctx());
    expect(out).toEqual({ bytes, contentType: 'image/png', filename: 'small.png', transcoded: false });
  });

  it('keeps an animated GIF animated while making it fit', async () => {
    const bytes = await animatedGif();
    const budget = Math.floor(bytes.length / 3);
    const out = await fitPart({ bytes, contentType: 'image/gif', filename: 'anim.gif' }, budget, ctx());
    expect(out.contentType).toBe('image/gif');
    expect(out.bytes.length).toBeLessThanOrEqual(budget);
    expect((await sharp(out.bytes, { animated: true }).metadata()).pages).toBeGreaterThan(1);
  });

  it('transcodes a short MP4 to H.264 baseline + AAC under 300 KB', async () => {
    const bytes = await shortMp4();
    expect(bytes.length).toBeGreaterThan(1_000_000);
    const out = await fitPart({ bytes, contentType: 'video/mp4', filename: 'clip.mp4' }, 300_000, ctx());
    expect(out).toMatchObject({ contentType: 'video/mp4', filename: 'clip.mp4', transcoded: true });
    expect(out.bytes.length).toBeLessThanOrEqual(300_000);
    expect(await probeCodecs(out.bytes, dir)).toEqual(['h264', 'aac']);
  }, 60_000);

  it('transcodes audio to AAC in MP4 (there is no AMR encoder)', async () => {
    const bytes = await wavTone();
    const out = await fitPart({ bytes, contentType: 'audio/wav', filename: 'tone.wav' }, 120_000, ctx());
    expect(out).toMatchObject({ contentType: 'audio/mp4', filename: 'tone.m4a', transcoded: true });
    expect(out.bytes.length).toBeLessThanOrEqual(120_000);
    expect(await probeCodecs(out.bytes, dir)).toEqual(['aac']);
  }, 60_000);

  it('refuses a part that cannot be made to fit, saying which and why', async () => {
    const vcard = Buffer.alloc(50_000, 'x');
    await expect(fitPart({ bytes: vcard, contentType: 'text/vcard', filename: 'card.vcf' }, 10_000, ctx())).rejects.toThrow(
      PayloadTooLargeError,
    );
    await expect(fitPart({ bytes: await shortMp4(20), contentType: 'video/mp4', filename: 'long.mp4' }, 20_000, ctx())).rejects.toThrow(
      /long\.mp4 .*cannot be made smaller than 20000 bytes/,
    );
  }, 60_000);

  it('reads a part only as the format its bytes have: a playlist or concat list naming other files and URLs is refused', async () => {
    // A file the gateway can read (another part's scratch output, say) and a server that notes every request.
    const secret = join(dir, 'secret.ts');
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-f', 'mpegts', secret]);
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const web = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const hls = (uri: string) => Buffer.from(`#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\n${uri}\n#EXT-X-ENDLIST\n`);
    // As a part claimed to be video or audio reaches ffmpeg (fitPart sends a small one on untouched).
    const crafted = [
      hls(secret),
      hls(`file://${secret}`),
      hls(`${web}/seg.ts`),
      Buffer.from(`ffconcat version 1.0\nfile '${web}/part.mp4'\nfile secret.ts\n`),
    ];
    try {
      for (const bytes of crafted) {
        for (const fit of [fitVideo, fitAudio]) {
          const out = await fit(bytes, 100_000, AbortSignal.timeout(30_000), dir).catch((e: unknown) => e);
          expect(out, bytes.toString()).toBeInstanceOf(ValidationError);
        }
      }
      expect(hits).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
    }
  }, 60_000);

  it('stops a job at its time limit', async () => {
    const bytes = await shortMp4();
    await expect(
      fitPart({ bytes, contentType: 'video/mp4', filename: 'clip.mp4' }, 300_000, { signal: AbortSignal.timeout(50), tempDir: dir }),
    ).rejects.toThrow();
  }, 60_000);
});
