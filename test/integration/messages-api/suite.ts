/** The web client and carrier webhook suite, run once per environment by messages-api.test.ts. */
import { describe } from 'vitest';
import { authTests } from './auth.js';
import { type MakeEnv, useMessagesApi } from './harness.js';
import { historyTests } from './history.js';
import { inboundTests } from './inbound.js';
import { seedReadmeSendTests } from './seed-readme.js';
import { sendTests } from './send.js';

export function describeMessagesApi(name: string, makeEnv: MakeEnv): void {
  describe(`messages API on ${name}`, () => {
    const api = useMessagesApi(makeEnv);
    describe('client auth', () => authTests(api));
    describe('sending', () => sendTests(api));
    describe('history', () => historyTests(api));
    describe('carrier webhooks', () => inboundTests(api));
    seedReadmeSendTests(api);
  });
}
