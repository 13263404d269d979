import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMetrics } from './index.js';

/** The dashboard, alert rules and docs name metrics the code must export. */
const DEPLOY_FILES = [
  'deploy/grafana/dashboards/msggw.json',
  'deploy/prometheus/rules/msggw.yml',
  'deploy/README.md',
  'docs/operations.md',
];
const RULES = 'deploy/prometheus/rules/msggw.yml';
/** The Helm chart's PrometheusRule reads its own copy (a chart cannot read files outside it). */
const HELM_RULES = 'helm/msggw/files/prometheus-rules.yml';

async function exportedNames(): Promise<Set<string>> {
  return new Set(
    (await createMetrics({ serverId: 't' }).render())
      .split('\n')
      .filter((l) => l.startsWith('# TYPE '))
      .map((l) => l.split(' ')[2]),
  );
}

/** Metric names in a text; a family written with a wildcard (`msggw_consumer_*`) is not one. */
const namesIn = (text: string): string[] =>
  (text.match(/\bmsggw_[a-z0-9_]+(?![a-z0-9_*])/g) ?? []).map((name) => name.replace(/_(bucket|sum|count)$/, ''));

describe('metric names used by the deploy files', () => {
  it('are all exported by a node', async () => {
    const exported = await exportedNames();
    const used = new Set(DEPLOY_FILES.flatMap((f) => namesIn(readFileSync(f, 'utf8'))));
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
  });

  it('name an exported metric in every alert expression', async () => {
    const exported = await exportedNames();
    const exprs = readFileSync(RULES, 'utf8')
      .split(/\n\s+- alert: /)
      .slice(1);
    for (const rule of exprs) {
      const name = rule.split('\n', 1)[0];
      const expr = rule.slice(rule.indexOf('expr:'), rule.search(/\n\s+(for|labels):/));
      const metrics = namesIn(expr);
      expect(metrics.length > 0 || /\bup\{job="msggw"\}/.test(expr), `${name} uses no msggw metric`).toBe(true);
      expect(
        metrics.filter((m) => !exported.has(m)),
        name,
      ).toEqual([]);
    }
  });

  it('cover every exported msggw_ metric in the deploy/README.md table, and every alert in docs/operations.md', async () => {
    const readme = readFileSync('deploy/README.md', 'utf8');
    const missing = [...(await exportedNames())].filter((n) => n.startsWith('msggw_') && !readme.includes(`| \`${n}\``));
    expect(missing).toEqual([]);
    const alerts = readFileSync(RULES, 'utf8')
      .match(/- alert: (\w+)/g)!
      .map((a) => a.slice('- alert: '.length));
    const runbook = readFileSync('docs/operations.md', 'utf8');
    expect(alerts.filter((a) => !runbook.includes(`\`${a}\``))).toEqual([]);
  });

  it('give the Helm chart the same alerts as the compose topology', () => {
    expect(readFileSync(HELM_RULES, 'utf8')).toBe(readFileSync(RULES, 'utf8'));
  });
});
