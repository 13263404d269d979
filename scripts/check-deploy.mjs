// Offline checks of rendered Helm manifests, docker-compose.yml and the Grafana dashboard, run by
// scripts/check-deploy.sh. Its dependencies (yaml, kubernetes-models, prometheus-operator models)
// live in a cache folder outside package.json, given as the first argument.
//
//   node scripts/check-deploy.mjs <deps-dir> manifests <rendered.yaml>...
//   node scripts/check-deploy.mjs <deps-dir> compose <repo-root>
//   node scripts/check-deploy.mjs <deps-dir> dashboard-rules <dashboard.json> <out-rules.yml>
//
// Prints one line per problem and exits 1 when there is any.
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const [depsDir, command, ...args] = process.argv.slice(2);
const require = createRequire(join(resolve(depsDir), 'package.json'));
const YAML = require('yaml');

const problems = [];
const problem = (where, message) => problems.push(`${where}: ${message}`);

// ---- Kubernetes manifests ----------------------------------------------------------------------

/** Model module for an apiVersion/kind, e.g. apps/v1 Deployment -> kubernetes-models/apps/v1/Deployment. */
function loadModel(apiVersion, kind) {
  const pkg = apiVersion.startsWith('monitoring.coreos.com/') ? '@kubernetes-models/prometheus-operator' : 'kubernetes-models';
  try {
    return require(`${pkg}/${apiVersion}/${kind}`)[kind];
  } catch {
    return undefined;
  }
}

function checkManifests(files) {
  for (const file of files) {
    const docs = YAML.parseAllDocuments(readFileSync(file, 'utf8'))
      .map((d) => d.toJS())
      .filter((d) => d && typeof d === 'object');
    if (docs.length === 0) problem(file, 'no manifests rendered');
    for (const doc of docs) {
      const where = `${file} ${doc.kind}/${doc.metadata?.name}`;
      const Model = loadModel(doc.apiVersion ?? '', doc.kind ?? '');
      if (!Model) {
        problem(where, `no schema for ${doc.apiVersion} ${doc.kind}`);
        continue;
      }
      try {
        new Model(doc).validate();
      } catch (err) {
        problem(where, err.message);
      }
    }
    checkWiring(file, docs);
  }
}

const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);

/** Cross-references a schema cannot see: selectors, port names, probe paths, config sources. */
function checkWiring(file, docs) {
  const deployments = docs.filter((d) => d.kind === 'Deployment');
  if (deployments.length !== 1) return problem(file, `expected one Deployment, found ${deployments.length}`);
  const deploy = deployments[0];
  const pod = deploy.spec.template;
  const container = pod.spec.containers[0];
  const portNames = new Set((container.ports ?? []).map((p) => p.name));
  const named = (kind, name) => docs.find((d) => d.kind === kind && d.metadata.name === name);

  if (!matches(deploy.spec.selector.matchLabels, pod.metadata.labels)) problem(file, 'Deployment selector does not match its pod labels');
  for (const svc of docs.filter((d) => d.kind === 'Service')) {
    if (!matches(svc.spec.selector, pod.metadata.labels)) problem(file, `Service ${svc.metadata.name} selects no gateway pod`);
    for (const p of svc.spec.ports) {
      if (typeof p.targetPort === 'string' && !portNames.has(p.targetPort))
        problem(file, `Service ${svc.metadata.name} targets unknown container port ${p.targetPort}`);
    }
  }
  for (const pdb of docs.filter((d) => d.kind === 'PodDisruptionBudget')) {
    if (!matches(pdb.spec.selector.matchLabels, pod.metadata.labels)) problem(file, 'PodDisruptionBudget selects no gateway pod');
  }
  for (const hpa of docs.filter((d) => d.kind === 'HorizontalPodAutoscaler')) {
    if (hpa.spec.scaleTargetRef.name !== deploy.metadata.name) problem(file, 'HPA does not target the Deployment');
    if (deploy.spec.replicas !== undefined) problem(file, 'Deployment sets replicas while an HPA owns them');
  }
  for (const sm of docs.filter((d) => d.kind === 'ServiceMonitor')) {
    const ports = docs
      .filter((d) => d.kind === 'Service' && matches(sm.spec.selector.matchLabels, d.metadata.labels))
      .flatMap((s) => s.spec.ports.map((p) => p.name));
    for (const ep of sm.spec.endpoints) {
      if (!ports.includes(ep.port)) problem(file, `ServiceMonitor endpoint port ${ep.port} is on no selected Service`);
    }
  }
  for (const ing of docs.filter((d) => d.kind === 'Ingress')) {
    for (const rule of ing.spec.rules ?? []) {
      for (const path of rule.http.paths) {
        if (!named('Service', path.backend.service.name)) problem(file, `Ingress backend ${path.backend.service.name} is not rendered`);
      }
    }
  }

  if (container.readinessProbe?.httpGet?.path !== '/ready') problem(file, 'readiness probe is not GET /ready');
  if (container.livenessProbe?.httpGet?.path !== '/health') problem(file, 'liveness probe is not GET /health');
  const grace = pod.spec.terminationGracePeriodSeconds ?? 30;
  const sleep = Number(container.lifecycle?.preStop?.exec?.command?.[1] ?? 0);
  if (sleep >= grace) problem(file, `preStop sleep ${sleep}s leaves no drain time in ${grace}s`);
  const shutdown = Number(docs.find((d) => d.kind === 'ConfigMap')?.data?.SHUTDOWN_TIMEOUT_SECS);
  if (!(shutdown >= 1 && sleep + shutdown < grace)) {
    problem(file, `SHUTDOWN_TIMEOUT_SECS ${shutdown}s plus preStop ${sleep}s does not fit terminationGracePeriodSeconds ${grace}s`);
  }
  if (!container.env?.some((e) => e.name === 'SERVER_ID')) problem(file, 'SERVER_ID is not set per pod');

  const configMaps = (container.envFrom ?? []).map((e) => e.configMapRef?.name).filter(Boolean);
  for (const name of configMaps) {
    const cm = named('ConfigMap', name);
    if (!cm) {
      problem(file, `envFrom ConfigMap ${name} is not rendered`);
      continue;
    }
    for (const key of ['WEB_LISTEN', 'SMPP_LISTEN', 'MM4_LISTEN']) {
      if (!cm.data?.[key]) problem(file, `ConfigMap ${name} lacks ${key}`);
    }
  }
  const secretName = (container.envFrom ?? []).map((e) => e.secretRef?.name).find(Boolean);
  const secret = secretName && named('Secret', secretName);
  if (secret) {
    for (const key of ['ENCRYPTION_KEY', 'API_KEY', 'DATABASE_URL']) {
      if (!secret.stringData?.[key] && !secret.data?.[key]) problem(file, `Secret ${secretName} lacks ${key}`);
    }
  }
}

// ---- docker-compose.yml ------------------------------------------------------------------------

function checkCompose(root) {
  const file = join(root, 'docker-compose.yml');
  const doc = YAML.parseDocument(readFileSync(file, 'utf8'), { merge: true });
  if (doc.errors.length) return doc.errors.forEach((e) => problem(file, e.message));
  const compose = doc.toJS({ maxAliasCount: -1 });
  const services = compose.services ?? {};
  for (const name of ['nats', 'redis', 'postgres', 'gw1', 'gw2', 'gw3', 'haproxy', 'prometheus', 'grafana']) {
    if (!services[name]) problem(file, `service ${name} is missing`);
  }
  const gateways = Object.keys(services).filter((n) => /^gw\d+$/.test(n));
  const required = ['NATS_URL', 'REDIS_URL', 'ENCRYPTION_KEY', 'API_KEY', 'HAPROXY_PROXY_PROTOCOL', 'SERVER_ID'];
  for (const gw of gateways) {
    const env = services[gw].environment ?? {};
    for (const key of required) if (env[key] === undefined) problem(file, `${gw} lacks ${key}`);
    if (!env.DATABASE_URL && !env.POSTGRES_HOST) problem(file, `${gw} has neither DATABASE_URL nor POSTGRES_HOST`);
    if (env.SERVER_ID !== gw) problem(file, `${gw} has SERVER_ID ${env.SERVER_ID}`);
    // The node must give up on its drains before docker's SIGKILL (stop_grace_period, default 10 s).
    const graceSecs = Number(/^(\d+)s$/.exec(String(services[gw].stop_grace_period ?? '10s'))?.[1] ?? NaN);
    if (!(Number(env.SHUTDOWN_TIMEOUT_SECS) < graceSecs)) {
      problem(
        file,
        `${gw}: SHUTDOWN_TIMEOUT_SECS ${env.SHUTDOWN_TIMEOUT_SECS} is not below stop_grace_period ${services[gw].stop_grace_period}`,
      );
    }
    if (!existsSync(join(root, services[gw].build?.dockerfile ?? 'missing'))) problem(file, `${gw} builds from a missing Dockerfile`);
  }
  for (const [name, svc] of Object.entries(services)) {
    for (const volume of svc.volumes ?? []) {
      const source = String(volume).split(':')[0];
      if (source.startsWith('.') && !existsSync(join(root, source))) problem(file, `${name} mounts missing ${source}`);
    }
  }

  // Every ${VAR:?...} the file insists on is documented in the env example.
  const example = readFileSync(join(root, 'deploy/compose.env.example'), 'utf8');
  for (const [, name] of readFileSync(file, 'utf8').matchAll(/\$\{(\w+):\?/g)) {
    if (!new RegExp(`^${name}=`, 'm').test(example)) problem(file, `${name} is required but not in deploy/compose.env.example`);
  }

  // HAProxy servers and Prometheus targets name the same gateway nodes as the compose file.
  const haproxy = readFileSync(join(root, 'deploy/haproxy/haproxy.cfg'), 'utf8');
  for (const backend of ['http_nodes', 'smpp_nodes', 'mm4_nodes']) {
    const body = haproxy.split(new RegExp(`^backend ${backend}\\b`, 'm'))[1]?.split(/^\S/m)[0] ?? '';
    const servers = [...body.matchAll(/^\s+server (\S+) /gm)].map((m) => m[1]);
    if (servers.sort().join() !== [...gateways].sort().join()) problem('haproxy.cfg', `${backend} servers ${servers} != ${gateways}`);
    if (backend !== 'http_nodes' && !/send-proxy-v2/.test(body)) problem('haproxy.cfg', `${backend} does not send PROXY v2`);
  }
  const prom = YAML.parse(readFileSync(join(root, 'deploy/prometheus/prometheus.yml'), 'utf8'));
  const targets = prom.scrape_configs.find((j) => j.job_name === 'msggw')?.static_configs.flatMap((s) => s.targets) ?? [];
  if (
    targets
      .map((t) => t.split(':')[0])
      .sort()
      .join() !== [...gateways].sort().join()
  )
    problem('prometheus.yml', `msggw targets ${targets} != ${gateways}`);
  // Metrics are scraped on the nodes' own metrics port: the HTTP port serves them to the admin only.
  for (const target of targets) {
    const [gw, port] = target.split(':');
    const listen = services[gw]?.environment?.PROMETHEUS_LISTEN;
    if (!listen || listen.split(':').pop() !== port) problem('prometheus.yml', `${target} is not ${gw}'s PROMETHEUS_LISTEN (${listen})`);
  }
}

// ---- Grafana dashboard -------------------------------------------------------------------------

/** Writes the dashboard's PromQL as recording rules, so `promtool check rules` parses every query. */
function dashboardRules(file, out) {
  const dashboard = JSON.parse(readFileSync(file, 'utf8'));
  const ids = new Set();
  const rules = [];
  for (const panel of dashboard.panels ?? []) {
    if (ids.has(panel.id)) problem(file, `duplicate panel id ${panel.id}`);
    ids.add(panel.id);
    for (const target of panel.targets ?? []) {
      const expr = target.expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$instance', '.*');
      if (/\$\w/.test(expr)) problem(file, `panel "${panel.title}" uses an unknown variable: ${target.expr}`);
      rules.push({ record: `dashboard:panel_${panel.id}:${target.refId}`, expr });
    }
  }
  // Every msggw_* metric a panel queries is in the list the code is held to (deploy/README.md).
  const readme = readFileSync(resolve(file, '../../../README.md'), 'utf8');
  const metrics = new Set(rules.flatMap((r) => r.expr.match(/\bmsggw_\w+/g) ?? []));
  for (const name of metrics) {
    const base = name.replace(/_bucket$/, '');
    if (!readme.includes(base)) problem(file, `${base} is used but not listed in deploy/README.md`);
  }
  writeFileSync(out, YAML.stringify({ groups: [{ name: 'dashboard', rules }] }));
}

if (command === 'manifests') checkManifests(args);
else if (command === 'compose') checkCompose(args[0]);
else if (command === 'dashboard-rules') dashboardRules(args[0], args[1]);
else problem('usage', `unknown command ${command}`);

for (const p of problems) console.error(`  ${p}`);
process.exit(problems.length ? 1 : 0);
