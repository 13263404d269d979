import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, beside the code) and `integration` (real nats-server,
// redis-server and PostgreSQL started once per run by test/support/global-setup.ts, plus the
// acceptance suites that drive independent peers: Kannel, Net::SMPP, the PDU fuzzer).
export default defineConfig({
  test: {
    // Two files at a time in both projects (vitest's default on two cores is one). An integration
    // file's time is mostly waiting (process starts, redeliveries, leases), and files cannot see
    // each other on the shared services: each owns its database and bus subject prefix (which also
    // prefixes its Redis keys), and a test that stops or pauses a server starts its own. PGlite
    // costs ~0.8 GB per instance, so two fit in 24 GB easily.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['internal/**/*.test.ts', 'proto/**/*.test.ts', 'cmd/**/*.test.ts', 'test/architecture/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/cluster/**/*.test.ts', 'test/acceptance/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
