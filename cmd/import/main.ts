/**
 * `npm run import -- --from-postgres URL [--dry-run]`: the importer without the CLI around it
 * (`msggw import` is the same run with a progress bar: cmd/cli/commands/import.ts).
 * Exits 0 when the run finished, 2 on bad arguments or configuration, 1 when a database cannot
 * be reached.
 */
import { parseArgs } from 'node:util';
import { runImport } from './run.js';

const USAGE = 'usage: msggw import --from-postgres postgres://user:pass@host:5432/smsgw [--dry-run]\n';

async function main(argv: string[]): Promise<number> {
  let args;
  try {
    args = parseArgs({ args: argv, options: { 'from-postgres': { type: 'string' }, 'dry-run': { type: 'boolean' } } }).values;
  } catch (err) {
    process.stderr.write(`msggw import: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const url = args['from-postgres'];
  if (!url) {
    process.stderr.write(`msggw import: --from-postgres is required\n${USAGE}`);
    return 2;
  }
  return runImport({ fromPostgres: url, dryRun: args['dry-run'] === true }, process.env);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`msggw import: ${(err as Error).message}\n`);
    process.exit(1);
  },
);
