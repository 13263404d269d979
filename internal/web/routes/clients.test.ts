import { describe, expect, it } from 'vitest';
import { ClientType } from '../../store/index.js';
import { toClientPatch, toNewClient } from './clients.js';

describe('toNewClient', () => {
  it('refuses a username holding a control character', () => {
    for (const username of ['pbx\u0000', 'p\nbx', 'pbx\u007f']) {
      expect(() => toNewClient({ username, password: 'pw', address: '192.0.2.1' })).toThrow(
        'username: must not contain control characters',
      );
    }
    expect(toNewClient({ username: ' pbx ', password: 'pw', address: '192.0.2.1' }).username).toBe('pbx');
  });

  it('leaves a patch without a username alone', () => {
    expect(toClientPatch({ name: 'x' }, ClientType.WEB)).toEqual({ name: 'x' });
  });
});
