/** The admin API suite, run once per store driver by admin-api.test.ts. */
import { describe } from 'vitest';
import { apiKeyTests } from './api-keys.js';
import { basicsTests } from './basics.js';
import { carrierTests } from './carriers.js';
import { clientTests } from './clients.js';
import { type MakeStore, useAdminApi } from './harness.js';
import { numberViewTests } from './number-views.js';
import { numberTests } from './numbers.js';
import { seedReadmeTests } from './seed-readme.js';
import { failoverTests, settingsTests } from './settings-failovers.js';

export function describeAdminApi(driverName: string, makeStore: MakeStore): void {
  describe(`admin API on ${driverName}`, () => {
    describe('routes', () => {
      const api = useAdminApi(makeStore);
      basicsTests(api);
      carrierTests(api);
      clientTests(api);
      numberTests(api);
      numberViewTests(api);
      settingsTests(api);
      failoverTests(api);
      apiKeyTests(api);
    });
    seedReadmeTests(makeStore);
  });
}
