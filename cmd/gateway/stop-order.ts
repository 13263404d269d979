/**
 * Stopping a node's components in reverse start order within one deadline (SHUTDOWN_TIMEOUT_SECS):
 * a component whose stop() is still running at the deadline is left behind, so one stuck drain
 * cannot keep the process alive; what it held unacknowledged the bus redelivers elsewhere.
 */
import type { Logger } from '../../internal/log/index.js';

export interface NamedStop {
  name: string;
  stop(): Promise<void>;
}

/** A component's stop() still running at the shutdown deadline. */
export class StopDeadlineError extends Error {
  override name = 'StopDeadlineError';
  constructor(readonly component: string) {
    super(`${component} did not stop before the shutdown deadline`);
  }
}

/**
 * Calls each stop() in turn, waiting for each until `deadline` (epoch ms); one that fails or is
 * late does not prevent the next. Once the deadline has passed the rest are still asked to stop
 * but not waited for. Rejects with every failure and lateness together.
 */
export async function stopWithin(components: readonly NamedStop[], deadline: number, logger: Logger): Promise<void> {
  const errors: unknown[] = [];
  for (const component of components) {
    const outcome = await settleBy(component, deadline);
    if (outcome === 'stopped') continue;
    errors.push(outcome);
    if (outcome instanceof StopDeadlineError)
      logger.error({ component: component.name }, 'component did not stop before the shutdown deadline');
    else logger.error({ err: outcome, component: component.name }, 'component failed to stop');
  }
  if (errors.length > 0) throw new AggregateError(errors, 'some components failed to stop');
}

async function settleBy(component: NamedStop, deadline: number): Promise<'stopped' | unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<StopDeadlineError>((resolve) => {
    timer = setTimeout(() => resolve(new StopDeadlineError(component.name)), Math.max(0, deadline - Date.now()));
  });
  const stopped = Promise.resolve()
    .then(() => component.stop())
    .then(
      () => 'stopped' as const,
      (err: unknown) => err,
    );
  try {
    return await Promise.race([stopped, late]);
  } finally {
    clearTimeout(timer);
  }
}
