import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ffmpeg from 'fluent-ffmpeg';
import { ValidationError } from '../errors/index.js';
import { sniffContentType } from './content-types.js';
import { avBitrates, SAFETY } from './ladder.js';
import type { Fitted } from './image.js';

/** Frame sizes tried for video, largest first: 320 wide plays well on every MMS handset. */
const VIDEO_RUNGS = [
  { width: 320, fps: 24 },
  { width: 240, fps: 15 },
  { width: 176, fps: 12 },
] as const;
/** Audio-only parts: mono AAC, rate capped where speech and music are still clear. */
const AUDIO_MAX_BPS = 64_000;
const AUDIO_MIN_BPS = 8_000;

/**
 * The demuxer for each type the bytes announce. A part is read only as what its bytes are, never
 * as what the sender claims and never by ffmpeg's own guess: a guessed HLS playlist or concat
 * list would make ffmpeg open the files and URLs it names and send their content on as the MMS.
 */
const DEMUXERS: Readonly<Record<string, string>> = {
  'video/mp4': 'mov',
  'video/3gpp': 'mov',
  'video/3gpp2': 'mov',
  'video/quicktime': 'mov',
  'audio/mp4': 'mov',
  'video/webm': 'matroska',
  'video/x-msvideo': 'avi',
  'audio/mpeg': 'mp3',
  'audio/aac': 'aac',
  'audio/amr': 'amr',
  'audio/ogg': 'ogg',
  'audio/wav': 'wav',
};

/**
 * Input options for a part: its demuxer pinned, and only the file protocol (the scratch file),
 * so nothing a crafted file names on the network is opened. ValidationError when the bytes are
 * in no format read here.
 */
function inputOptions(bytes: Buffer): string[] {
  const type = sniffContentType(bytes);
  const demuxer = type === undefined ? undefined : DEMUXERS[type];
  if (!demuxer) {
    throw new ValidationError('a video or audio part is in no format the gateway reads (MP4/3GP/MOV, WebM, AVI, MP3, AAC, AMR, Ogg, WAV)');
  }
  return ['-f', demuxer, '-protocol_whitelist', 'file'];
}

interface Probe {
  durationSecs: number;
  hasAudio: boolean;
  hasVideo: boolean;
}

function probe(path: string, input: string[]): Promise<Probe> {
  return new Promise((resolve, reject) => {
    ffmpeg.ffprobe(path, input, (err, data) => {
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
    command
      .on('end', () => done())
      .on('error', (err: Error) => done(err))
      .run();
  });
}

/** A part's scratch file and how ffmpeg reads it (inputOptions). */
interface Source {
  path: string;
  options: string[];
}

/** A scratch directory for one part, removed whatever happens. */
async function inScratch<T>(tempDir: string, bytes: Buffer, work: (input: Source, dir: string) => Promise<T>): Promise<T> {
  const options = inputOptions(bytes);
  const dir = await mkdtemp(join(tempDir, 'msggw-av-'));
  try {
    const input = join(dir, 'input');
    await writeFile(input, bytes);
    return await work({ path: input, options }, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function videoCommand(input: Source, output: string, rung: (typeof VIDEO_RUNGS)[number], rates: { videoBps: number; audioBps: number }) {
  const command = ffmpeg(input.path)
    .inputOptions(input.options)
    .videoCodec('libx264')
    .fps(rung.fps)
    .outputOptions([
      // Baseline H.264 in MP4 is what every MMS handset plays; yuv420p is required for baseline
      // (environment.md §8: lavfi/PNG inputs default to 4:4:4).
      '-pix_fmt',
      'yuv420p',
      '-profile:v',
      'baseline',
      '-preset',
      'veryfast',
      '-vf',
      `scale='min(${rung.width},iw)':-2`,
      '-b:v',
      String(rates.videoBps),
      '-maxrate',
      String(rates.videoBps),
      '-bufsize',
      String(rates.videoBps * 2),
      '-movflags',
      '+faststart',
      '-map_metadata',
      '-1',
    ]);
  if (rates.audioBps > 0)
    command
      .audioCodec('aac')
      .audioChannels(1)
      .audioFrequency(22050)
      .audioBitrate(Math.round(rates.audioBps / 1000));
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
    const info = await probe(input.path, input.options);
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

async function fitAudioFile(input: Source, dir: string, info: Probe, budget: number, signal: AbortSignal): Promise<Fitted | undefined> {
  let bps = Math.min(AUDIO_MAX_BPS, Math.floor((budget * 8 * SAFETY) / Math.max(info.durationSecs, 0.5)));
  for (let attempt = 0; attempt < 2 && bps >= AUDIO_MIN_BPS; attempt++) {
    const output = join(dir, `out-${attempt}.m4a`);
    const command = ffmpeg(input.path)
      .inputOptions(input.options)
      .noVideo()
      .audioCodec('aac')
      .audioChannels(1)
      .audioFrequency(bps >= 32_000 ? 44100 : 22050)
      .audioBitrate(Math.round(bps / 1000))
      .outputOptions(['-movflags', '+faststart', '-map_metadata', '-1'])
      .format('mp4')
      .output(output);
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
  return inScratch(tempDir, bytes, async (input, dir) => fitAudioFile(input, dir, await probe(input.path, input.options), budget, signal));
}
