/**
 * How integration tests get the services started by global-setup.ts:
 *
 *   const svc = requireServices(['nats', 'postgres']);
 *   describe.skipIf(svc.skip)(svc.title('NatsBus'), () => {
 *     it('...', async () => { const bus = connectTo(svc.urls.nats); });
 *   });
 *
 * When a service is missing the suite is skipped, its title says why, and the reason is printed
 * once to stderr: it never passes silently.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { ServiceName } from './provided.js';
import { createDatabase } from './services.js';

export type { ServiceName } from './provided.js';

export interface RequiredServices<K extends ServiceName> {
  /** True when any requested service is unavailable: pass to `describe.skipIf`. */
  readonly skip: boolean;
  /** Why the suite is skipped; undefined when it runs. */
  readonly reason: string | undefined;
  /** URLs of the requested services. Reading one while `skip` is true throws. */
  readonly urls: Readonly<Record<K, string>>;
  /** `name`, plus the skip reason when skipped (so the report shows it). */
  title(name: string): string;
}

export function requireServices<K extends ServiceName>(names: readonly K[]): RequiredServices<K> {
  const provided = inject('services');
  const missing: string[] = [];
  const urls = {} as Record<K, string>;
  for (const name of names) {
    const status = provided?.[name];
    if (status?.url) {
      urls[name] = status.url;
      continue;
    }
    const why = status?.reason ?? 'not provided (run this file in the `integration` vitest project)';
    missing.push(`${name}: ${why}`);
    Object.defineProperty(urls, name, {
      enumerable: true,
      get: () => {
        throw new Error(`service ${name} is unavailable: ${why}`);
      },
    });
  }
  const reason = missing.length ? missing.join('; ') : undefined;
  if (reason) process.stderr.write(`[skip] ${reason}\n`);
  return {
    skip: reason !== undefined,
    reason,
    urls,
    title: (name) => (reason ? `${name} [skipped: ${reason}]` : name),
  };
}

/**
 * Creates a fresh, empty database on the shared PostgreSQL and returns its URL, so each test
 * file owns its schema. The whole cluster is discarded at the end of the run.
 */
export function createTestDatabase(prefix = 'test'): Promise<string> {
  const admin = inject('services')?.postgres?.url;
  if (!admin) throw new Error("PostgreSQL is unavailable: guard the suite with requireServices(['postgres'])");
  const safe = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  const name = `${/^[a-z_]/.test(safe) ? '' : 'db_'}${safe}_${randomBytes(6).toString('hex')}`;
  return createDatabase(admin, name);
}

/** A random subject / key prefix so tests sharing one server never see each other's traffic. */
export function uniquePrefix(label = 't'): string {
  return `${label}${randomBytes(6).toString('hex')}`;
}
