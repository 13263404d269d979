import { defineConfig } from 'vitest/config';

// Two projects: `unit` (pure logic, beside the code) and `integration` (real nats-server,
// redis-server and PostgreSQL started once per run by test/support/global-setup.ts, plus the
// acceptance suites that drive independent peers: Kannel, Net::SMPP, the PDU fuzzer).
/** Fault tests that count a message reaching the carrier twice as a failure. */
const EXACTLY_ONCE_UNDER_FAULTS = [
  'test/cluster/nats-restart.test.ts',
  'test/cluster/postgres-outage.test.ts',
  'test/cluster/redis-stop.test.ts',
];

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
          exclude: EXACTLY_ONCE_UNDER_FAULTS,
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        // Run alone, after the rest: beside another file's load they have seen a message reach
        // the carrier twice, a cause not pinned down yet (docs/decisions.md, test files two at a time).
        test: {
          name: 'faults',
          include: EXACTLY_ONCE_UNDER_FAULTS,
          environment: 'node',
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
