/** The CLI's two kinds of failure: each ends the command with one line on stderr. */

/** Exit codes: 1 when the command ran and failed, 2 when it was called wrongly (as commander does). */
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** Bad arguments or configuration, found before anything was asked of the node. */
export class UsageError extends Error {
  override name = 'UsageError';
  readonly exitCode = EXIT_USAGE;
}

/** The node answered with an error status; `message` is the API's own error text. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly exitCode = EXIT_FAILURE;

  constructor(readonly status: number, message: string, readonly body?: unknown) {
    super(message);
  }
}

/** The node could not be reached or did not answer in time. */
export class ConnectError extends Error {
  override name = 'ConnectError';
  readonly exitCode = EXIT_FAILURE;
}

/** A command that ran and found something wrong (a batch that failed, a node not ready). */
export class CommandFailed extends Error {
  override name = 'CommandFailed';
  readonly exitCode = EXIT_FAILURE;
}

/** Ctrl-C during a long wait: the command cleaned up and stops (128 + SIGINT). */
export class Interrupted extends Error {
  override name = 'Interrupted';
  readonly exitCode = 130;
}

/** The single line the user sees for an error, and the exit code that goes with it. */
export function describeError(err: unknown): { line: string; exitCode: number } {
  if (err instanceof ApiError) return { line: `${err.message} (HTTP ${err.status})`, exitCode: err.exitCode };
  if (err instanceof UsageError || err instanceof ConnectError || err instanceof CommandFailed || err instanceof Interrupted) {
    return { line: err.message, exitCode: err.exitCode };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { line: message.split('\n')[0] ?? 'unknown error', exitCode: EXIT_FAILURE };
}
