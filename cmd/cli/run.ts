/**
 * Runs the `msggw` program on a command line. Errors end as one line on stderr: exit 1 when the
 * command failed, 2 when it was called wrongly.
 */
import { CommanderError, type Command } from 'commander';
import { describeError, EXIT_USAGE } from './errors.js';
import { buildProgram } from './program.js';

/** Help and --version are exits commander reports as errors; they are not. */
const NOT_ERRORS = new Set(['commander.helpDisplayed', 'commander.version']);

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  // One line, suggestions included: `msggw: unknown command 'lst' (Did you mean one of list, ls?)`.
  program.configureOutput({
    outputError: (text, write) =>
      write(
        `msggw: ${text
          .replace(/^error: /, '')
          .trim()
          .replace(/\s*\n\s*/g, ' ')}\n`,
      ),
  });
  for (const sub of program.commands) applyRecursively(sub, program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (err) {
    if (err instanceof CommanderError) return NOT_ERRORS.has(err.code) ? 0 : EXIT_USAGE;
    const { line, exitCode } = describeError(err);
    process.stderr.write(`msggw: ${line}\n`);
    return exitCode;
  }
}

/** exitOverride and the output settings are copied to subcommands only when they are created by .command(). */
function applyRecursively(command: Command, root: Command): void {
  command.exitOverride();
  command.configureOutput(root.configureOutput());
  for (const sub of command.commands) applyRecursively(sub, root);
}
