/**
 * The `msggw` admin CLI (docs/cli.md), run as its users run it: `node bin/msggw.js <command>`
 * as a child process, against a gateway started the way tests start one (`node bin/msggw.js`, no
 * command) on the embedded default, and against a two-node cluster on real nats-server,
 * redis-server and PostgreSQL for `stats`. Batches are created and followed on the gateway;
 * the progress lines of every job state are checked against a stub of the batch routes (upstream §5.10).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, requireServices, uniquePrefix } from '../support/env.js';
import { FakeCarrier } from '../support/fake-carrier.js';
import { NetSmpp, netSmppMissing } from '../support/net-smpp.js';
import { API_KEY, SmppGateway, until } from '../support/smpp-gateway.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const svc = requireServices(['nats', 'postgres', 'redis']);
const perlMissing = netSmppMissing();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `msggw ...args` with only the environment given (and an empty HOME, so no config file is found). */
function msggw(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/msggw.js', ...args],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        timeout: 60_000,
      },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** Runs a command that must succeed with --json and returns the parsed output. */
async function json(args: string[], env: Record<string, string>): Promise<any> {
  const run = await msggw([...args, '--json'], env);
  if (run.code !== 0) throw new Error(`msggw ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** A table's data rows as arrays of trimmed cells. */
function rows(table: string): string[][] {
  return table
    .split('\n')
    .filter((l) => l.startsWith('│'))
    .map((l) =>
      l
        .split('│')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

describe('msggw CLI against a gateway process (embedded default)', () => {
  let gw: SmppGateway;
  let home: string;
  let env: Record<string, string>;
  const esmes: NetSmpp[] = [];

  beforeAll(async () => {
    gw = await SmppGateway.start({ process: true });
    home = await mkdtemp(join(tmpdir(), 'msggw-cli-home-'));
    env = { HOME: home, MSGGW_URL: gw.base, MSGGW_API_KEY: API_KEY };
  }, 90_000);

  afterAll(async () => {
    for (const e of esmes) await e.close();
    await gw?.stop();
    await rm(home, { recursive: true, force: true });
  }, 30_000);

  it('adds, lists, shows and changes carriers', async () => {
    const row = gw.fake.carrierRow('telnyx');
    const added = await json(
      [
        'carriers',
        'add',
        '--name',
        'telnyx-main',
        '--type',
        'telnyx',
        '--username',
        'x',
        '--password',
        row.password,
        '--api-base-url',
        gw.fake.url,
        '--public-key',
        row.publicKey,
      ],
      env,
    );
    expect(added).toMatchObject({ name: 'telnyx-main', type: 'telnyx', api_base_url: gw.fake.url, warnings: [] });

    const list = await msggw(['carriers', 'list'], env);
    expect(list.code).toBe(0);
    expect(rows(list.stdout)[1].slice(0, 3)).toEqual([String(added.id), 'telnyx-main', 'telnyx']);

    const updated = await json(['carriers', 'update', 'telnyx-main', '--max-rps', '100000'], env);
    expect(updated).toMatchObject({ message: 'Carrier updated', carrier: { max_rps: 100_000 } });
    expect((await json(['carriers', 'show', 'telnyx-main'], env)).webhook_url).toBe(added.webhook_url);
    expect((await msggw(['carriers', 'reload'], env)).stdout).toBe('Carriers reloaded.\n');
  });

  it('creates a legacy client with its numbers in one step, and its generated password binds over SMPP', async () => {
    const pbx = await json(
      [
        'clients',
        'add',
        '-u',
        'pbx',
        '-a',
        '127.0.0.1',
        '--carrier',
        'telnyx-main',
        '--number',
        '+15550001000',
        '--number',
        '1 555 000 1001',
      ],
      env,
    );
    expect(pbx).toMatchObject({ username: 'pbx', type: 'legacy', address: '127.0.0.1' });
    expect(pbx.password).toMatch(/^[A-Za-z0-9]{8}$/);
    expect(pbx.numbers.map((n: { number: string }) => n.number)).toEqual(['+15550001000', '+15550001001']);

    const changed = await json(['clients', 'password', 'pbx'], env);
    expect(changed).toMatchObject({ status: 'Password updated successfully' });
    expect(changed.password).toMatch(/^[A-Za-z0-9]{8}$/);

    const esme = await NetSmpp.connect({ host: '127.0.0.1', port: gw.smppPort, label: 'pbx' });
    esmes.push(esme);
    expect((await esme.bind({ mode: 'transceiver', systemId: 'pbx', password: changed.password })).commandStatus).toBe(0);
    const status = await json(['clients', 'status', 'pbx'], env);
    expect(status).toMatchObject({ username: 'pbx', online: true, ip: '127.0.0.1' });
  });

  it('lists and shows clients as tables', async () => {
    expect((await msggw(['clients', 'add', '-u', 'web1', '-t', 'web', '-n', 'Web One', '-p', 'web-pass-123'], env)).code).toBe(0);
    const list = await msggw(['clients', 'list'], env);
    expect(rows(list.stdout).map((r) => r.slice(1, 4))).toEqual([
      ['username', 'name', 'type'],
      ['pbx', '', 'legacy'],
      ['web1', 'Web One', 'web'],
    ]);
    const show = await msggw(['clients', 'show', 'pbx'], env);
    expect(show.stdout).toMatch(/│ username +│ pbx +│/);
    expect(show.stdout).toMatch(/│ \d+ +│ \d+ +│ \+15550001001 +│ telnyx-main /);
    expect((await json(['clients', 'update', 'web1', '--name', 'Web 1', 'timezone=America/Vancouver'], env)).client).toMatchObject({
      name: 'Web 1',
      timezone: 'America/Vancouver',
    });
  });

  it("adds a pasted list of numbers, skipping one the gateway has, and changes a number's settings", async () => {
    const added = await msggw(
      ['numbers', 'add', 'web1', '+1 555 000 2000, +15550001000', '--carrier', 'telnyx-main', '--tag', 'support'],
      env,
    );
    expect(added.code).toBe(0);
    expect(
      rows(added.stdout)
        .slice(1)
        .map((r) => r.slice(0, 2)),
    ).toEqual([
      ['+15550002000', 'added'],
      ['+15550001000', 'skipped'],
    ]);
    expect((await json(['numbers', 'list', '--client', 'web1'], env)).map((n: { number: string }) => n.number)).toEqual(['+15550002000']);
    expect(await json(['numbers', 'list', '--tag', 'support'], env)).toHaveLength(1);
    const nanp = await json(['numbers', 'add', 'web1', '555 000-3000', '--nanp', '--carrier', 'telnyx-main'], env);
    expect(nanp).toEqual([expect.objectContaining({ number: '+15550003000', result: 'added' })]);
    expect((await msggw(['numbers', 'rm', '+15550003000'], env)).code).toBe(0);

    expect(await json(['numbers', 'update', '+15550002000', '--group', 'cs'], env)).toMatchObject({
      number: { tag: 'support', group: 'cs' },
    });
    expect(await json(['numbers', 'settings', '15550002000', 'sms_daily_limit=5'], env)).toMatchObject({
      settings: { sms_daily_limit: 5 },
    });
    const effective = await json(['numbers', 'effective', '+15550002000'], env);
    expect(effective.limits.sms.daily).toEqual({ limit: 5, source: 'number', limit_both: false });
    expect(await json(['numbers', 'auto-reply', '+15550002000', '--on', '--message', 'closed'], env)).toMatchObject({
      settings: { enabled: true, message: 'closed' },
    });
    expect((await msggw(['numbers', 'effective', '+15550002000'], env)).stdout).toMatch(/│ sms +│ daily +│ 5 +│ number /);
  });

  it("shows and sets a client's settings", async () => {
    const set = await json(['settings', 'set', 'web1', 'api_format=bicom', 'sms_monthly_limit=1000', 'webhook_retries=2'], env);
    expect(set).toMatchObject({
      message: 'Settings updated',
      settings: { api_format: 'bicom', sms_monthly_limit: 1000, webhook_retries: 2 },
    });
    expect(await json(['settings', 'show', 'web1'], env)).toMatchObject({ api_format: 'bicom' });
    const table = await msggw(['settings', 'show', 'web1'], env);
    expect(table.stdout).toMatch(/│ api_format +│ bicom +│/);
  });

  it('creates, lists and revokes API keys', async () => {
    const key = await json(
      ['api-keys', 'create', 'web1', '--name', 'crm', '--scopes', 'send,usage', '--rate-limit', '60', '--number', '+15550002000'],
      env,
    );
    expect(key.key).toMatch(/^gw_live_[0-9a-f]{64}$/);
    expect(key).toMatchObject({ name: 'crm', scopes: 'send,usage', rate_limit: 60, allowed_numbers: [{ number: '+15550002000' }] });
    const shown = await msggw(['api-keys', 'create', 'web1', '--name', 'other'], env);
    expect(shown.stdout).toMatch(/API key \(shown once\): gw_live_[0-9a-f]{64}\n$/);
    expect((await msggw(['api-keys', 'revoke', 'web1', String(key.id)], env)).stdout).toBe(`API key ${key.id} revoked.\n`);
    const list = await json(['api-keys', 'list', 'web1'], env);
    expect(list.find((k: { id: number }) => k.id === key.id)).toMatchObject({ active: false });
  });

  it('adds, lists, changes and removes failovers', async () => {
    expect((await msggw(['clients', 'add', '-u', 'backup', '-a', '127.0.0.1', '-p', 'backuppw'], env)).code).toBe(0);
    const failover = await json(['failovers', 'add', 'pbx', 'backup', '--priority', '3'], env);
    expect(failover).toMatchObject({ priority: 3, enabled: true });
    const list = await msggw(['failovers', 'list', 'pbx'], env);
    expect(rows(list.stdout)[1]).toEqual([String(failover.id), '3', 'true', String(failover.fallback_client_id), 'backup', 'false']);
    expect(await json(['failovers', 'update', 'pbx', String(failover.id), '--disable'], env)).toMatchObject({
      failover: { enabled: false },
    });
    expect((await msggw(['failovers', 'rm', 'pbx', String(failover.id)], env)).stdout).toBe(`Failover ${failover.id} deleted.\n`);
    expect(await json(['failovers', 'list', 'pbx'], env)).toEqual([]);
  });

  it('sends a test message as a web client, in its api_format, and shows its usage', async () => {
    const sent = await msggw(['send', '-c', 'web1', '--from', '+15550002000', '--to', '+15552000001', '--text', 'cli test'], env);
    expect(sent).toMatchObject({ code: 0, stderr: '' });
    expect(sent.stdout).toBe('Message accepted (success).\n'); // bicom's answer, as set above
    await gw.carrierText('cli test');
    const usage = await json(['usage', 'web1'], env);
    expect(usage.client.username).toBe('web1');
    expect(usage.client.sms.monthly).toMatchObject({ current_usage: 1, limit: 1000, remaining: 999 });
    await until(
      async () => (await json(['history', 'web1', '--direction', 'outbound'], env)).total_count >= 1,
      10_000,
      'the send in the history',
    );
    const history = await msggw(['history', '--client', 'web1'], env);
    expect(history.stdout).toMatch(/│ outbound +│ sms +│ \+15550002000 +│ \+15552000001 +│/);
    // The keys the CLI issued for the calls are revoked.
    const temporary = (await json(['api-keys', 'list', 'web1'], env)).filter((k: { name: string }) => k.name === 'msggw cli (temporary)');
    expect(new Set(temporary.map((k: { scopes: string; active: boolean }) => `${k.scopes}:${k.active}`))).toEqual(
      new Set(['send:false', 'usage:false']),
    );

    const legacy = await msggw(['send', '-c', 'pbx', '--to', '+15552000001'], env);
    expect(legacy).toEqual({
      code: 1,
      stdout: '',
      stderr: 'msggw: client pbx is a legacy client: only web clients use the REST message routes\n',
    });
  });

  it('creates batches as a web client, from recipients and from a CSV file, and follows them to completion', async () => {
    const created = await json(
      [
        'batch',
        'create',
        '-c',
        'web1',
        '--from',
        '+15550002000',
        '--to',
        '+15552000101,+15552000102',
        '--text',
        'cli batch',
        '--throttle',
        '50',
      ],
      env,
    );
    expect(created).toEqual({ id: expect.any(String), status: 'pending', total_count: 2 });
    const followed = await msggw(['batch', 'show', created.id, '--follow', '--interval', '0.2', '-c', 'web1'], env);
    expect(followed.code, followed.stderr).toBe(0);
    expect(followed.stderr.split('\n').slice(-2)).toEqual(['completed 2/2: sent 2, failed 0, queued 0', '']);
    expect(followed.stdout).toMatch(/│ status +│ completed +│/);
    expect(followed.stdout).toMatch(/│ throttle_per_second +│ 50 +│/);
    await gw.carrierText('cli batch');

    // web1 has one number, so the CSV batch needs no --from; a row without a recipient is skipped.
    const csv = join(home, 'recipients.csv');
    await writeFile(csv, 'Phone,name\n+1 555 200 0103,Ann\n,Nobody\n');
    const upload = await msggw(['batch', 'create', '--client', 'web1', '--csv', csv, '--text', 'Hi {{name}}'], env);
    expect(upload.code, upload.stderr).toBe(0);
    const id = /^Batch (\S+) accepted: 1 messages/.exec(upload.stdout)?.[1];
    expect(id).toBeDefined();
    const done = await msggw(['batch', 'show', id!, '-f', '-i', '0.2', '-c', 'web1', '--json'], env);
    expect(done.code, done.stderr).toBe(0);
    expect(JSON.parse(done.stdout)).toMatchObject({ id, status: 'completed', total_count: 1, sent_count: 1, from_number: '+15550002000' });
    await gw.carrierText('Hi Ann');

    expect(await json(['batch', 'messages', id!, '-c', 'web1'], env)).toEqual([
      expect.objectContaining({ index: 0, to: '+15552000103', text: 'Hi Ann', status: 'sent' }),
    ]);
    expect((await json(['batch', 'list', '-c', 'web1'], env)).map((j: { id: string }) => j.id)).toEqual([id, created.id]);
    const keys = (await json(['api-keys', 'list', 'web1'], env)).filter((k: { scopes: string }) => k.scopes === 'batch');
    expect(keys.length).toBeGreaterThanOrEqual(6);
    expect(keys.every((k: { active: boolean }) => !k.active)).toBe(true);
    expect(await msggw(['batch', 'create', '-c', 'web1', '--text', 'x'], env)).toEqual({
      code: 2,
      stdout: '',
      stderr: 'msggw: give the recipients: --to or --csv (one of them)\n',
    });
  });

  it('shows the node, its SMPP bind and its message counters in stats', async () => {
    const stats = await json(['stats'], env);
    expect(stats.nodes.map((n: { server_id: string }) => n.server_id)).toEqual([gw.child!.serverId]);
    expect(stats.smpp_clients).toEqual([
      expect.objectContaining({ username: 'pbx', server_id: gw.child!.serverId, bind_mode: 'transceiver' }),
    ]);
    expect(stats.messages.ingress.web).toBeGreaterThanOrEqual(1);

    const table = await msggw(['stats'], env);
    expect(table.stdout).toContain('Node asked: healthy; 1 SMPP clients bound');
    const node = rows(table.stdout).find((r) => r[0] === gw.child!.serverId)!;
    expect(node[3]).toBe('1'); // smpp_binds
    expect(table.stdout).toMatch(/│ pbx +│ 127\.0\.0\.1 +│ transceiver +│ /);

    const rated = await json(['stats', '--interval', '1'], env);
    expect(rated.rates).toMatchObject({ interval_secs: 1, cluster: { ingress: { web: 0 } } });
  });

  it('deletes numbers, clients and carriers', async () => {
    expect((await msggw(['numbers', 'rm', '+15550002000'], env)).stdout).toBe('Number +15550002000 deleted.\n');
    expect((await msggw(['clients', 'rm', 'web1'], env)).code).toBe(0);
    const carrier = await msggw(['carriers', 'rm', 'telnyx-main'], env);
    expect(carrier.code).toBe(1); // the pbx's numbers still use it
    expect(carrier.stderr).toMatch(/^msggw: .*\(HTTP 409\)\n$/);
    expect((await json(['clients', 'list'], env)).map((c: { username: string }) => c.username)).toEqual(['pbx', 'backup']);
  });

  it('answers --help on every command group, exit 0', async () => {
    const groups = [
      '',
      'serve',
      'clients',
      'numbers',
      'carriers',
      'settings',
      'api-keys',
      'failovers',
      'send',
      'usage',
      'history',
      'stats',
      'batch',
      'dead-letters',
      'import',
      'config',
    ];
    // Independent processes: run them at once rather than one start-up after another.
    const runs = await Promise.all(groups.map((group) => msggw([...(group ? [group] : []), '--help'], {})));
    groups.forEach((group, i) => {
      expect(runs[i]!.code, group).toBe(0);
      expect(runs[i]!.stdout, group).toMatch(new RegExp(`^Usage: msggw${group ? ` ${group}(\\|\\S+)?` : ''} `));
    });
  }, 120_000);

  it('fails with one line on stderr: 1 for a failed call, 2 for a wrong one', async () => {
    // Independent processes, run at once.
    const [notFound, noUser, bogus, missing, noKey, down] = await Promise.all([
      msggw(['clients', 'show', '999'], env),
      msggw(['clients', 'show', 'nobody'], env),
      msggw(['clients', 'list', '--bogus'], env),
      msggw(['clients', 'show'], env),
      msggw(['clients', 'list'], { HOME: home, MSGGW_URL: gw.base }),
      msggw(['stats'], { HOME: home, MSGGW_URL: 'http://127.0.0.1:1', MSGGW_API_KEY: 'x' }),
    ]);
    expect(notFound).toEqual({ code: 1, stdout: '', stderr: 'msggw: Client not found (HTTP 404)\n' });
    expect(noUser).toEqual({ code: 1, stdout: '', stderr: 'msggw: no client with username "nobody"\n' });
    expect(bogus).toEqual({ code: 2, stdout: '', stderr: "msggw: unknown option '--bogus'\n" });
    expect(missing).toEqual({ code: 2, stdout: '', stderr: "msggw: missing required argument 'client'\n" });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr.split('\n')).toEqual([expect.stringMatching(/^msggw: no admin API key: /), '']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^msggw: cannot reach http:\/\/127\.0\.0\.1:1: .+\n$/);
  });

  it('takes the connection from flags over the environment over the config file, and never prints the key', async () => {
    const file = join(home, '.config', 'msggw', 'config.json');
    await mkdir(join(home, '.config', 'msggw'), { recursive: true });
    await writeFile(file, JSON.stringify({ url: gw.base, api_key: API_KEY }), { mode: 0o600 });
    expect((await msggw(['clients', 'list', '--json'], { HOME: home })).code).toBe(0);
    const shown = await msggw(['config'], { HOME: home });
    expect(shown.stdout).toMatch(/│ api_key_from +│ .*config\.json +│/);
    expect(shown.stdout).not.toContain(API_KEY);

    // A wrong key in the environment wins over the file's: one failed login, said in one line.
    const wrong = await msggw(['clients', 'list'], { HOME: home, MSGGW_API_KEY: 'not-the-key' });
    expect(wrong).toEqual({ code: 1, stdout: '', stderr: 'msggw: Invalid API key (HTTP 401)\n' });
    // The flag wins over both.
    expect((await msggw(['clients', 'list', '--api-key', API_KEY], { HOME: home, MSGGW_API_KEY: 'not-the-key' })).code).toBe(0);
  });
});

/** A stand-in for GET /messages/batch/{id} (upstream §5.10): each poll moves the job on. */
async function batchStub(
  key: string,
  steps: Array<Record<string, unknown>>,
): Promise<{ server: Server; url: string; polls: () => number }> {
  let polls = 0;
  const server = createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${key}`) {
      res.writeHead(401, { 'content-type': 'text/plain' }).end('Invalid or expired API key');
      return;
    }
    if (req.url !== '/messages/batch/b-1') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Batch job not found"}');
      return;
    }
    const step = steps[Math.min(polls++, steps.length - 1)];
    res.writeHead(200, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        id: 'b-1',
        client_id: 7,
        total_count: 4,
        from_number: '+15550002000',
        throttle_per_second: 30,
        max_retry_mins: 60,
        created_at: '2026-12-07T00:00:00Z',
        updated_at: '2026-12-07T00:00:01Z',
        ...step,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, polls: () => polls };
}

describe('msggw batch show --follow (against a stub of the batch routes)', () => {
  const key = `gw_live_${'ab'.repeat(32)}`;
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  const progress = [
    { status: 'pending', sent_count: 0, failed_count: 0, queued_count: 0 },
    { status: 'processing', sent_count: 2, failed_count: 0, queued_count: 0 },
    { status: 'partially_queued', sent_count: 2, failed_count: 1, queued_count: 1 },
  ];

  it('reports progress until the job completes, then prints it; exit 0', async () => {
    const stub = await batchStub(key, [
      ...progress,
      {
        status: 'completed',
        sent_count: 3,
        failed_count: 1,
        queued_count: 0,
        completed_at: '2026-12-07T00:01:00Z',
        errors: [{ index: 2, to: '+1555', error: 'invalid destination number', code: 400 }],
      },
    ]);
    servers.push(stub.server);
    const run = await msggw(['batch', 'show', 'b-1', '--follow', '--interval', '0.05', '--client-key', key], {
      MSGGW_URL: stub.url,
      MSGGW_API_KEY: 'admin',
    });
    expect(run.code).toBe(0);
    expect(run.stderr.split('\n')).toEqual([
      'pending 0/4: sent 0, failed 0, queued 0',
      'processing 2/4: sent 2, failed 0, queued 0',
      'partially_queued 3/4: sent 2, failed 1, queued 1',
      'completed 4/4: sent 3, failed 1, queued 0',
      '',
    ]);
    expect(run.stdout).toMatch(/│ status +│ completed +│/);
    expect(run.stdout).toMatch(/│ 2 +│ \+1555 +│ 400 +│ invalid destination number +│/);
    expect(stub.polls()).toBe(4);
  });

  it('exits 1 with one line when the job fails, and prints the final job as JSON with --json', async () => {
    const stub = await batchStub(key, [...progress, { status: 'failed', sent_count: 0, failed_count: 4, queued_count: 0 }]);
    servers.push(stub.server);
    const run = await msggw(['batch', 'show', 'b-1', '-f', '-i', '0.05', '--json'], {
      MSGGW_URL: stub.url,
      MSGGW_API_KEY: 'admin',
      MSGGW_CLIENT_KEY: key,
    });
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ id: 'b-1', status: 'failed', failed_count: 4 });
    expect(run.stderr.split('\n').slice(-2)).toEqual(['msggw: batch b-1 ended failed: 4 of 4 messages failed', '']);
  });

  it("shows the job once without --follow, and the API's error for an unknown one", async () => {
    const stub = await batchStub(key, progress);
    servers.push(stub.server);
    const env = { MSGGW_URL: stub.url, MSGGW_API_KEY: 'admin', MSGGW_CLIENT_KEY: key };
    expect(await json(['batch', 'show', 'b-1'], env)).toMatchObject({ status: 'pending' });
    expect(await msggw(['batch', 'show', 'nope'], env)).toEqual({ code: 1, stdout: '', stderr: 'msggw: Batch job not found (HTTP 404)\n' });
  });
});

describe.skipIf(svc.skip || perlMissing !== undefined)(svc.title('msggw stats across a two-node cluster'), () => {
  let fake: FakeCarrier;
  let a: SmppGateway;
  let b: SmppGateway;
  let esme: NetSmpp | undefined;

  beforeAll(async () => {
    fake = await FakeCarrier.start();
    const env = {
      DATABASE_URL: await createTestDatabase('cli_stats'),
      NATS_URL: svc.urls.nats,
      REDIS_URL: svc.urls.redis,
      BUS_SUBJECT_PREFIX: uniquePrefix('clistats'),
    };
    a = await SmppGateway.start({ fake, env, serverId: 'cliA' });
    b = await SmppGateway.start({ fake, env, serverId: 'cliB' });
    await a.addCarrier();
    await a.legacyClient('pbx', 'pbxpw', ['+15550001000']);
    await until(async () => (await b.api('GET', '/clients')).body?.length >= 1, 15_000, 'node B to see the client');
  }, 120_000);

  afterAll(async () => {
    await esme?.close();
    await Promise.all([a?.stop(), b?.stop()]);
    await fake?.close();
  }, 60_000);

  it('shows both nodes and the bind held on node B, asked through node A', async () => {
    esme = await NetSmpp.connect({ host: '127.0.0.1', port: b.smppPort, label: 'pbx@B' });
    expect((await esme.bind({ mode: 'transceiver', systemId: 'pbx', password: 'pbxpw' })).commandStatus).toBe(0);
    const env = { MSGGW_URL: a.base, MSGGW_API_KEY: API_KEY };
    await until(async () => (await b.binds('pbx')).length === 1, 10_000, 'the bind to show in /stats');

    const stats = await json(['stats'], env);
    expect(stats.nodes.map((n: { server_id: string }) => n.server_id)).toEqual(['cliA', 'cliB']);
    expect(stats.smpp_clients).toEqual([expect.objectContaining({ username: 'pbx', server_id: 'cliB' })]);

    const table = await msggw(['stats'], env);
    const nodes = rows(table.stdout).filter((r) => r[0] === 'cliA' || r[0] === 'cliB');
    expect(nodes.map((r) => [r[0], r[3]])).toEqual([
      ['cliA', '0'],
      ['cliB', '1'],
    ]);
    expect(await json(['clients', 'status', 'pbx'], env)).toMatchObject({ online: true });
  });
});
