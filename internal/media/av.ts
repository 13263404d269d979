import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { ValidationError } from '../errors/index.js';
import { avBitrates, SAFETY } from './ladder.js';
import type { Fitted } from './image.js';

/** Frame sizes tried for video, largest first: 320 wide plays well on every MMS handset. */
const VIDEO_RUNGS = [{ width: 320, fps: 24 }, { width: 240, fps: 15 }, { width: 176, fps: 12 }] as const;
/** Audio-only parts: mono AAC, rate capped where speech and music are still clear. */
const AUDIO_MAX_BPS = 64_000;
const AUDIO_MIN_BPS = 8_000;

interface Probe {
  durationSecs: number;
  hasAudio: boolean;
  hasVideo: boolean;
}

function probe(path: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(path, (err, data) => {
      if (err) return reject(new ValidationError('a video or audio part could not be read', { cause: err }));
      const streams = data.streams ?? [];
      resolve({
        durationSecs: Number(data.format?.duration) || 1,
        hasAudio: streams.some((s) => s.codec_type === 'audio'),
        hasVideo: streams.some((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1),
      });
    });
  });
}

/** Runs one ffmpeg command; SIGKILL when `signal` aborts (the job's time limit or a stop). */
function run(command: ffmpeg.FfmpegCommand, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => command.kill('SIGKILL');
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (err?: Error) => {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted) reject(signal.reason);
      else if (err) reject(new ValidationError('ffmpeg could not transcode a media part', { cause: err }));
      else resolve();
    };
    command.on('end', () => done()).on('error', (err: Error) => done(err)).run();
  });
}

/** A scratch directory for one part, removed whatever happens. */
async function inScratch<T>(tempDir: string, bytes: Buffer, work: (input: string, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tempDir, 'msggw-av-'));
  try {
    const input = join(dir, 'input');
    await writeFile(input, bytes);
    return await work(input, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function videoCommand(input: string, output: string, rung: (typeof VIDEO_RUNGS)[number], rates: { videoBps: number; audioBps: number }) {
  const command = ffmpeg(input).videoCodec('libx264').fps(rung.fps)
    .outputOptions([
      // Baseline H.264 in MP4 is what every MMS handset plays; yuv420p is required for baseline
      // (environment.md §8: lavfi/PNG inputs default to 4:4:4).
      '-pix_fmt', 'yuv420p', '-profile:v', 'baseline', '-preset', 'veryfast',
      '-vf', `scale='min(${rung.width},iw)':-2`,
      '-b:v', String(rates.videoBps), '-maxrate', String(rates.videoBps), '-bufsize', String(rates.videoBps * 2),
      '-movflags', '+faststart', '-map_metadata', '-1',
    ]);
  if (rates.audioBps > 0) command.audioCodec('aac').audioChannels(1).audioFrequency(22050).audioBitrate(Math.round(rates.audioBps / 1000));
  else command.noAudio();
  return command.format('mp4').output(output);
}

/**
 * A video as H.264 baseline + AAC in MP4 under `budget` bytes: the bitrate comes from the
 * budget and the clip's length, and smaller frames are tried when the first result is still
 * too big. undefined when the clip is too long for the budget at any useful rate.
 */
export async function fitVideo(bytes: Buffer, budget: number, signal: AbortSignal, tempDir: string): Promise<Fitted | undefined> {
  return inScratch(tempDir, bytes, async (input, dir) => {
    const info = await probe(input);
    if (!info.hasVideo) return fitAudioFile(input, dir, info, budget, signal);
    let target = budget;
    for (const [i, rung] of VIDEO_RUNGS.entries()) {
      const rates = avBitrates(target, info.durationSecs, info.hasAudio);
      if (!rates) return undefined;
      const output = join(dir, `out-${i}.mp4`);
      await run(videoCommand(input, output, rung, rates), signal);
      const size = (await stat(output)).size;
      if (size <= budget) return { bytes: await readFile(output), contentType: 'video/mp4', ext: 'mp4' };
      target = Math.floor(target * (budget / size) * SAFETY);
    }
    return undefined;
  });
}

async function fitAudioFile(input: string, dir: string, info: Probe, budget: number, signal: AbortSignal): Promise<Fitted | undefined> {
  let bps = Math.min(AUDIO_MAX_BPS, Math.floor((budget * 8 * SAFETY) / Math.max(info.durationSecs, 0.5)));
  for (let attempt = 0; attempt < 2 && bps >= AUDIO_MIN_BPS; attempt++) {
    const output = join(dir, `out-${attempt}.m4a`);
    const command = ffmpeg(input).noVideo().audioCodec('aac').audioChannels(1).audioFrequency(bps >= 32_000 ? 44100 : 22050)
      .audioBitrate(Math.round(bps / 1000)).outputOptions(['-movflags', '+faststart', '-map_metadata', '-1'])
      .format('mp4').output(output);
    await run(command, signal);
    const size = (await stat(output)).size;
    if (size <= budget) return { bytes: await readFile(output), contentType: 'audio/mp4', ext: 'm4a' };
    bps = Math.floor(bps * (budget / size) * SAFETY);
  }
  return undefined;
}

/**
 * An audio part as mono AAC in MP4 (.m4a) under `budget` bytes. Debian's ffmpeg has no AMR
 * encoder (environment.md §8), and AAC is what MMS handsets play besides AMR.
 */
export async function fitAudio(bytes: Buffer, budget: number, signal: AbortSignal, tempDir: string): Promise<Fitted | undefined> {
  return inScratch(tempDir, bytes, async (input, dir) => fitAudioFile(input, dir, await probe(input), budget, signal));
}
