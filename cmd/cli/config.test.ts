import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configPath, DEFAULT_URL, listenUrl, loadConnection, normalizeUrl, readConfigFile, resolveConnection } from './config.js';
import { UsageError } from './errors.js';

const FILE = { url: 'http://file:3000', api_key: 'file-key' };

describe('resolveConnection', () => {
  it('takes flags over the environment over the config file, field by field', () => {
    const env = { MSGGW_URL: 'http://env:3000', MSGGW_API_KEY: 'env-key' };
    expect(resolveConnection({ url: 'http://flag:3000', apiKey: 'flag-key' }, env, FILE, 'f.json')).toMatchObject({
      url: 'http://flag:3000',
      apiKey: 'flag-key',
      sources: { url: '--url', apiKey: '--api-key' },
    });
    expect(resolveConnection({}, env, FILE, 'f.json')).toMatchObject({
      url: 'http://env:3000',
      apiKey: 'env-key',
      sources: { url: 'MSGGW_URL', apiKey: 'MSGGW_API_KEY' },
    });
    expect(resolveConnection({ apiKey: 'flag-key' }, {}, FILE, 'f.json')).toMatchObject({
      url: 'http://file:3000',
      apiKey: 'flag-key',
      sources: { url: 'f.json', apiKey: '--api-key' },
    });
  });

  it("uses the gateway's own API_KEY after MSGGW_API_KEY, and gomsggw's MSGGW_BASE_URL", () => {
    expect(resolveConnection({}, { API_KEY: 'node-key', MSGGW_BASE_URL: 'gw:3000' }, FILE, 'f.json')).toMatchObject({
      url: 'http://gw:3000',
      apiKey: 'node-key',
      sources: { apiKey: 'API_KEY' },
    });
    expect(resolveConnection({}, { API_KEY: 'node-key', MSGGW_API_KEY: 'cli-key' }, {}, 'f.json').apiKey).toBe('cli-key');
  });

  it("reaches the node on this host through its own WEB_LISTEN, after the CLI's variables", () => {
    expect(resolveConnection({}, { WEB_LISTEN: '0.0.0.0:3100' }, FILE, 'f.json')).toMatchObject({
      url: 'http://127.0.0.1:3100',
      sources: { url: 'WEB_LISTEN' },
    });
    expect(resolveConnection({}, { WEB_LISTEN: '10.1.2.3:3000', MSGGW_URL: 'http://gw:1' }, {}, 'f').url).toBe('http://gw:1');
    expect(listenUrl('[::]:3000')).toBe('http://127.0.0.1:3000');
    expect(listenUrl(':3000')).toBe('http://127.0.0.1:3000');
    expect(listenUrl('10.1.2.3:3000')).toBe('http://10.1.2.3:3000');
  });

  it('defaults to localhost:3000 and no key; an empty value counts as unset', () => {
    expect(resolveConnection({ url: '' }, { MSGGW_API_KEY: '' }, {}, 'f.json')).toMatchObject({
      url: DEFAULT_URL,
      apiKey: '',
      sources: { url: 'default', apiKey: 'none' },
      timeoutMs: 15_000,
    });
  });

  it('takes a timeout from the flag or the file and refuses nonsense', () => {
    expect(resolveConnection({ timeout: '500' }, {}, { timeout_ms: 9 }, 'f').timeoutMs).toBe(500);
    expect(resolveConnection({}, {}, { timeout_ms: 9 }, 'f').timeoutMs).toBe(9);
    expect(() => resolveConnection({ timeout: 'soon' }, {}, {}, 'f')).toThrow(UsageError);
  });
});

describe('normalizeUrl', () => {
  it('adds http:// and drops trailing slashes', () => {
    expect(normalizeUrl('gw1:3000')).toBe('http://gw1:3000');
    expect(normalizeUrl('https://gw.example.com/')).toBe('https://gw.example.com');
    expect(normalizeUrl('http://gw/admin/')).toBe('http://gw/admin');
  });

  it('refuses other schemes, and credentials in the URL (they would show in error messages)', () => {
    expect(() => normalizeUrl('ftp://gw')).toThrow(/use http/);
    expect(() => normalizeUrl('http://admin:secret@gw:3000')).toThrow(/must not hold credentials/);
  });
});

describe('the config file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msggw-cli-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is --config, else MSGGW_CONFIG, else under XDG_CONFIG_HOME or HOME', () => {
    expect(configPath({ config: '/a.json' }, { MSGGW_CONFIG: '/b.json' })).toEqual({ path: '/a.json', explicit: true });
    expect(configPath({}, { MSGGW_CONFIG: '/b.json' })).toEqual({ path: '/b.json', explicit: true });
    expect(configPath({}, { XDG_CONFIG_HOME: '/x' })).toEqual({ path: '/x/msggw/config.json', explicit: false });
    expect(configPath({}, { HOME: '/home/op' })).toEqual({ path: '/home/op/.config/msggw/config.json', explicit: false });
  });

  it('may be absent when it is the default, not when it was named', async () => {
    await expect(readConfigFile(join(dir, 'none.json'), false)).resolves.toEqual({});
    await expect(readConfigFile(join(dir, 'none.json'), true)).rejects.toThrow(/cannot read config file .*ENOENT/);
  });

  it('must be a JSON object', async () => {
    await writeFile(join(dir, 'bad.json'), '["x"]');
    await expect(readConfigFile(join(dir, 'bad.json'), true)).rejects.toThrow(/must hold a JSON object/);
    await writeFile(join(dir, 'broken.json'), '{');
    await expect(readConfigFile(join(dir, 'broken.json'), true)).rejects.toThrow(/not valid JSON/);
  });

  it('gives what neither flags nor environment set', async () => {
    await mkdir(join(dir, 'msggw'));
    await writeFile(join(dir, 'msggw', 'config.json'), JSON.stringify({ url: 'http://file:3000', apiKey: 'file-key' }));
    const connection = await loadConnection({}, { XDG_CONFIG_HOME: dir, MSGGW_URL: 'http://env:1' });
    expect(connection).toMatchObject({ url: 'http://env:1', apiKey: 'file-key' });
    const named = await loadConnection({ config: join(dir, 'msggw', 'config.json') }, { XDG_CONFIG_HOME: '/nowhere' });
    expect(named).toMatchObject({ url: 'http://file:3000', apiKey: 'file-key' });
  });

  it('warns when the key in it can be read by other users', async () => {
    const path = join(dir, 'shared.json');
    await writeFile(path, JSON.stringify({ url: 'http://file:3000', api_key: 'file-key' }), { mode: 0o644 });
    await chmod(path, 0o644);
    expect((await loadConnection({ config: path }, {})).warnings).toEqual([expect.stringMatching(/other users can read it: chmod 600/)]);
    await chmod(path, 0o600);
    expect((await loadConnection({ config: path }, {})).warnings).toEqual([]);
    // A key that comes from elsewhere is not the file's to worry about.
    await chmod(path, 0o644);
    expect((await loadConnection({ config: path }, { MSGGW_API_KEY: 'env' })).warnings).toEqual([]);
  });
});
