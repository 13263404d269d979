/** The CLI's failures: each ends the command with one line on stderr and its exit code. */

/** Exit codes: 1 when the command ran and failed, 2 when it was called wrongly (as commander does). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT, as shells report a command stopped by Ctrl-C. */
export const EXIT_INTERRUPTED = 130;

/** A failure the CLI expects: its message is the line the user sees. */
export class CliError extends Error {
  override name = 'CliError';

  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
  ) {
    super(message);
  }
}

/** Bad arguments or configuration, found before anything was asked of the node. */
export class UsageError extends CliError {
  override name = 'UsageError';

  constructor(message: string) {
    super(message, EXIT_USAGE);
  }
}

/** The node answered with an error status; `message` is the API's own error text. */
export class ApiError extends CliError {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
}

/** The node could not be reached or did not answer in time. */
export class ConnectError extends CliError {
  override name = 'ConnectError';
}

/** A command that ran and found something wrong (a batch that failed, a name that matches nothing). */
export class CommandFailed extends CliError {
  override name = 'CommandFailed';
}

/** Ctrl-C during a long wait: the command cleaned up and stops. */
export class Interrupted extends CliError {
  override name = 'Interrupted';

  constructor(message: string) {
    super(message, EXIT_INTERRUPTED);
  }
}

/** The single line the user sees for an error, and the exit code that goes with it. */
export function describeError(err: unknown): { line: string; exitCode: number } {
  if (err instanceof ApiError) return { line: `${err.message} (HTTP ${err.status})`, exitCode: err.exitCode };
  if (err instanceof CliError) return { line: err.message, exitCode: err.exitCode };
  const message = err instanceof Error ? err.message : String(err);
  return { line: message.split('\n')[0] ?? 'unknown error', exitCode: EXIT_FAILURE };
}
