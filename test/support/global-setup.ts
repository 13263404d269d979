/**
 * vitest globalSetup of the `integration` project: starts nats-server, redis-server and
 * PostgreSQL once per run (in parallel) and provides their URLs as `inject('services')`.
 *
 * A service whose binary is missing is reported with a reason instead of a URL, so the suites
 * that need it skip and say why. With CI set in the environment a missing service fails the run
 * instead. A binary that is present but fails to start always fails the run.
 */
import type { TestProject } from 'vitest/node';
import type { ProvidedServices, ServiceName, ServiceStatus } from './provided.js';
import { MissingBinaryError, sweepStaleServices } from './process.js';
import { startNats, startPostgres, startRedis, type RunningService } from './services.js';

const STARTERS: Record<ServiceName, () => Promise<RunningService>> = {
  nats: startNats,
  redis: startRedis,
  postgres: startPostgres,
};

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const swept = sweepStaleServices();
  if (swept.length) log(`removed ${swept.length} service dir(s) left by an earlier run: ${swept.join(', ')}`);

  const names = Object.keys(STARTERS) as ServiceName[];
  const results = await Promise.allSettled(names.map((n) => STARTERS[n]()));
  const running = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stopAll = async (): Promise<void> => {
    const outcomes = await Promise.allSettled(running.map((s) => s.stop()));
    const errors = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    if (errors.length) throw new AggregateError(errors, 'stopping test services failed');
  };

  const services = {} as ProvidedServices;
  const fatal: unknown[] = [];
  names.forEach((name, i) => {
    const r = results[i];
    if (r.status === 'fulfilled') {
      services[name] = { url: r.value.url };
    } else if (r.reason instanceof MissingBinaryError && !process.env.CI) {
      services[name] = { reason: r.reason.message };
    } else {
      fatal.push(r.reason);
    }
  });
  if (fatal.length) {
    await stopAll().catch(() => undefined);
    throw new AggregateError(fatal, `test services failed to start: ${fatal.map(String).join('; ')}`);
  }

  project.provide('services', services);
  log(names.map((n) => `${n} ${describeStatus(services[n])}`).join(', '));
  return stopAll;
}

function describeStatus(s: ServiceStatus): string {
  return s.url ?? `UNAVAILABLE, suites needing it will skip: ${s.reason}`;
}

function log(line: string): void {
  process.stderr.write(`[test services] ${line}\n`);
}
