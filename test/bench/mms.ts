/**
 * MMS transcoding benchmark: a fixed set of images and a clip, made on the spot,
 * each fitted into a carrier budget by fitPart (sharp, Debian's ffmpeg) with 1 and 2 jobs at a
 * time, as TRANSCODE_CONCURRENCY runs them. Prints the time per item and the throughput.
 *
 *   npm run bench:mms
 *
 * Knobs: BENCH_ROUNDS (passes over the set per worker count, default 3), BENCH_BUDGET_BYTES
 * (per item, default 614400: upstream's 600 KB). On 2 shared cores expect ±30 % between runs.
 * MM4-in to carrier-out messages/s is test/bench/mms-e2e.ts, run after this by the same script.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fitPart } from '../../internal/media/index.js';
import { animatedGif, haveFfmpeg, largeJpeg, largePng, shortMp4, type Fixture } from '../support/media-fixtures.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BUDGET = Number(process.env.BENCH_BUDGET_BYTES ?? 614_400);

async function fixtures(): Promise<Fixture[]> {
  const [jpegA, jpegB, jpegC, png, gif, clip] = await Promise.all([
    largeJpeg(4000, 3000),
    largeJpeg(3000, 2000),
    largeJpeg(2400, 1600),
    largePng(1000),
    animatedGif(640, 480, 6),
    shortMp4(5),
  ]);
  return [
    { name: 'jpeg 4000x3000', bytes: jpegA, contentType: 'image/jpeg' },
    { name: 'jpeg 3000x2000', bytes: jpegB, contentType: 'image/jpeg' },
    { name: 'jpeg 2400x1600', bytes: jpegC, contentType: 'image/jpeg' },
    { name: 'png 1000x1000 (alpha)', bytes: png, contentType: 'image/png' },
    { name: 'gif 640x480 animated 6 s', bytes: gif, contentType: 'image/gif' },
    { name: 'mp4 1280x720 5 s', bytes: clip, contentType: 'video/mp4' },
  ];
}

interface Timing {
  name: string;
  ms: number;
  outBytes: number;
}

/** Runs every item of `items` with at most `workers` at once (a counter, not an unbounded array). */
async function runPool(items: Fixture[], workers: number, tempDir: string): Promise<{ timings: Timing[]; wallMs: number }> {
  const timings: Timing[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      const t0 = performance.now();
      const out = await fitPart({ bytes: item.bytes, contentType: item.contentType, filename: item.name }, BUDGET, {
        signal: AbortSignal.timeout(120_000),
        tempDir,
      });
      timings.push({ name: item.name, ms: performance.now() - t0, outBytes: out.bytes.length });
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return { timings, wallMs: performance.now() - started };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!(await haveFfmpeg())) throw new Error('ffmpeg/ffprobe not found: run scripts/test-deps.sh');
  const tempDir = await mkdtemp(join(tmpdir(), 'msggw-bench-mms-'));
  try {
    const set = await fixtures();
    console.log(`fixtures: ${set.map((f) => `${f.name} ${(f.bytes.length / 1024).toFixed(0)} KB`).join(', ')}; budget ${BUDGET} B`);
    await runPool(set, 1, tempDir);
    for (const workers of [1, 2]) {
      const all: Timing[] = [];
      let wall = 0;
      for (let r = 0; r < ROUNDS; r++) {
        const { timings, wallMs } = await runPool(set, workers, tempDir);
        all.push(...timings);
        wall += wallMs;
      }
      console.log(
        `\nworkers ${workers}: ${all.length} items in ${(wall / 1000).toFixed(1)} s = ${((all.length * 1000) / wall).toFixed(2)} items/s`,
      );
      for (const f of set) {
        const mine = all.filter((t) => t.name === f.name);
        console.log(
          `  ${f.name.padEnd(26)} median ${median(mine.map((t) => t.ms))
            .toFixed(0)
            .padStart(6)} ms  → ${(mine[0]!.outBytes / 1024).toFixed(0)} KB`,
        );
      }
    }
  } finally {
    await rm(tempDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
