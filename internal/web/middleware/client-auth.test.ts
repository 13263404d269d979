import { describe, expect, it } from 'vitest';
import type { TenantApiKey } from '../../store/index.js';
import { keyScopes, parseClientCredentials } from './client-auth.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('parseClientCredentials', () => {
  it('reads Basic and Bearer base64(user:pass), any scheme case', () => {
    expect(parseClientCredentials(`Basic ${b64('bicom:api_key')}`)).toEqual({ kind: 'password', method: 'basic', username: 'bicom', password: 'api_key' });
    expect(parseClientCredentials(`bearer ${b64('bicom:a:b')}`)).toEqual({ kind: 'password', method: 'bearer', username: 'bicom', password: 'a:b' });
    expect(parseClientCredentials(`Bearer ${b64('u:p').replace(/=+$/, '')}`)).toMatchObject({ username: 'u', password: 'p' });
  });

  it('reads a gw_live_ bearer token as an API key', () => {
    expect(parseClientCredentials('Bearer gw_live_abc')).toEqual({ kind: 'api_key', token: 'gw_live_abc' });
  });

  it('gives nothing for missing, malformed or colon-less credentials', () => {
    for (const header of ['', 'Basic', 'Basic !!!', `Basic ${b64('nocolon')}`, 'Bearer', 'Token abc', `Bearer ${b64('nocolon')}`]) {
      expect(parseClientCredentials(header), header).toBeUndefined();
    }
  });
});

describe('keyScopes', () => {
  it('splits on commas and trims', () => {
    expect(keyScopes({ scopes: ' send , Usage,,' } as TenantApiKey)).toEqual(['send', 'usage']);
  });
});
