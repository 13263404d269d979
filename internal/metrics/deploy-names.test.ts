import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './index.js';

/** The dashboard, alert rules and deploy/README name metrics the code must export. */
const DEPLOY_FILES = ['deploy/grafana/dashboards/msggw.json', 'deploy/prometheus/rules/msggw.yml', 'deploy/README.md'];

describe('metric names used by the deploy files', () => {
  it('are all exported by a node', async () => {
    const exported = new Set((await createMetrics({ serverId: 't' }).render())
      .split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
    const used = new Set(DEPLOY_FILES.flatMap((f) => readFileSync(f, 'utf8').match(/\bmsggw_[a-z0-9_]+/g) ?? [])
      .map((name) => name.replace(/_(bucket|sum|count)$/, '')));
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });
});
