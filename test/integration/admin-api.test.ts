/**
 * The admin REST API over real HTTP, against both store drivers: PGlite (the embedded default)
 * and a real PostgreSQL database made by the test harness (skipped, saying why, without it).
 */
import { describe } from 'vitest';
import { createStore } from '../../internal/store/index.js';
import { createTestDatabase, requireServices } from '../support/env.js';
import { describeAdminApi } from './admin-api/suite.js';
import { storeDeps } from './admin-api/harness.js';

describeAdminApi('PGlite', () => createStore({ driver: 'pglite' }, storeDeps()));

const svc = requireServices(['postgres']);
describe.skipIf(svc.skip)(svc.title('PostgreSQL'), () => {
  describeAdminApi('PostgreSQL', async () => createStore({ driver: 'pg', url: await createTestDatabase('admin_api') }, storeDeps()));
});
