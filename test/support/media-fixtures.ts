/**
 * MMS media made on the spot (nothing binary is checked in): stills with sharp, an animated
 * GIF, a short MP4 and a WAV with Debian's ffmpeg. Sizes are chosen to be well over carrier
 * limits, so transcoding has work to do.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';

const run = promisify(execFile);

export interface Fixture {
  name: string;
  bytes: Buffer;
  contentType: string;
}

/** True when ffmpeg and ffprobe are on the PATH (scripts/test-deps.sh installs them). */
export async function haveFfmpeg(): Promise<boolean> {
  try {
    await run('ffmpeg', ['-version']);
    await run('ffprobe', ['-version']);
    return true;
  } catch {
    return false;
  }
}

/** A photo-like JPEG: gradient with grain, big and at high quality (several MB at 4000×3000). */
export async function largeJpeg(width = 4000, height = 3000): Promise<Buffer> {
  const svg = `<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg"><defs>
    <linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#2a6"/><stop offset="1" stop-color="#e83"/></linearGradient>
    </defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="${width / 2}" cy="${height / 2}" r="${height / 3}" fill="#36c"/></svg>`;
  const grain = await sharp({
    create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 24 } },
  })
    .png()
    .toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: grain, blend: 'overlay' }])
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** A PNG with transparency, over 1 MB. */
export async function largePng(size = 1400): Promise<Buffer> {
  return sharp({
    create: { width: size, height: size, channels: 4, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } },
  })
    .png()
    .toBuffer();
}

async function withFfmpeg(args: (out: string) => string[], file: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'msggw-fixture-'));
  try {
    const out = join(dir, file);
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args(out)]);
    return await readFile(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** An animated GIF (ffmpeg testsrc, 3 s at 10 fps). */
export function animatedGif(width = 480, height = 360, seconds = 3): Promise<Buffer> {
  return withFfmpeg((out) => ['-f', 'lavfi', '-i', `testsrc=size=${width}x${height}:rate=10`, '-t', String(seconds), out], 'anim.gif');
}

/** A short H.264 MP4 with a tone, at high bitrate (environment.md §8's recipe: clipMp4 at 1280×720). */
export function shortMp4(seconds = 5): Promise<Buffer> {
  return clipMp4(seconds, 1280, 720);
}

/** A WAV tone (PCM is large: about 88 KB a second at 44.1 kHz mono). */
export function wavTone(seconds = 20): Promise<Buffer> {
  return withFfmpeg((out) => ['-f', 'lavfi', '-i', 'sine=frequency=330', '-t', String(seconds), '-ac', '1', out], 'tone.wav');
}

/** A smaller H.264 MP4 with a tone (640×360 by default, still high bitrate: about 0.4 MB a second). */
export function clipMp4(seconds = 2, width = 640, height = 360): Promise<Buffer> {
  return withFfmpeg(
    (out) => [
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=${width}x${height}:rate=30`,
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440',
      '-t',
      String(seconds),
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-crf',
      '12',
      '-c:a',
      'aac',
      out,
    ],
    'clip.mp4',
  );
}
