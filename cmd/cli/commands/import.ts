/**
 * `msggw import`: takes over a gomsggw database (docs/import.md). It runs here, against the
 * store this machine's configuration names (DATABASE_URL or DATA_DIR), not through a node's API.
 */
import { Command } from 'commander';
import { MultiBar, Presets } from 'cli-progress';
import type { ImportProgress } from '../../../internal/importer/index.js';
import { UsageError } from '../errors.js';

/** One bar per kind of row on a terminal; media are read page by page, so their total grows as they come. */
export function importProgress(stream: NodeJS.WriteStream): { onProgress?: (p: ImportProgress) => void; stop(): void } {
  if (!stream.isTTY) return { stop: () => undefined };
  const bars = new MultiBar(
    { format: '{kind} {bar} {value}/{total}', stream, hideCursor: true, clearOnComplete: false },
    Presets.shades_classic,
  );
  const byKind = new Map<string, ReturnType<MultiBar['create']>>();
  return {
    onProgress: ({ kind, done, total }) => {
      let bar = byKind.get(kind);
      if (!bar) byKind.set(kind, (bar = bars.create(total ?? done, 0, { kind: kind.padEnd(8) })));
      bar.setTotal(total ?? done);
      bar.update(done);
    },
    stop: () => bars.stop(),
  };
}

export function importCommand(): Command {
  return new Command('import')
    .description('take over a gomsggw database: its carriers, clients, numbers, failovers, API keys and media (docs/import.md)')
    .option('--from-postgres <url>', 'the gomsggw database, postgres://user:pass@host:5432/smsgw (only read; required)')
    .option('--dry-run', 'say what would be done, write nothing')
    .addHelpText(
      'after',
      `
Writes into the store this machine's configuration names (DATABASE_URL or POSTGRES_*, else the
embedded one in DATA_DIR), decrypting gomsggw's passwords with ENCRYPTION_KEY. Prints a line per
row and a summary on stdout, with progress bars on a terminal. Safe to run again.`,
    )
    .action(async (opts: { fromPostgres?: string; dryRun?: boolean }) => {
      if (!opts.fromPostgres) throw new UsageError('--from-postgres is required');
      // Loaded here: the store and the importer are heavy, and no other command needs them.
      const { runImport } = await import('../../import/run.js');
      const progress = importProgress(process.stderr);
      try {
        const code = await runImport(
          { fromPostgres: opts.fromPostgres, dryRun: opts.dryRun === true, onProgress: progress.onProgress },
          process.env,
        );
        if (code !== 0) process.exitCode = code;
      } catch (err) {
        // docs/import.md's form: a database that cannot be reached is `msggw import: <why>`, exit 1.
        process.stderr.write(`msggw import: ${(err as Error).message}\n`);
        process.exitCode = 1;
      } finally {
        progress.stop();
      }
    });
}
