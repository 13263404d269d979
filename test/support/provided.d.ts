/**
 * What test/support/global-setup.ts hands to the integration tests through `inject('services')`.
 * Read it through test/support/env.ts (requireServices) rather than directly.
 */
import 'vitest';

export type ServiceName = 'nats' | 'redis' | 'postgres';

/** A running service (`url`) or why it is not available (`reason`). Plain data: it is serialised. */
export type ServiceStatus = { url: string; reason?: undefined } | { url?: undefined; reason: string };

export type ProvidedServices = Record<ServiceName, ServiceStatus>;

declare module 'vitest' {
  export interface ProvidedContext {
    services: ProvidedServices;
  }
}
