/**
 * The seed README's "Send SMS" curl (Bearer base64(user:pass) to a bicom client), run through
 * bash and curl exactly as written: it must work unchanged on a client without auth_method.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { MessagesApi } from './harness.js';

const run = promisify(execFile);
const FIXTURE = new URL('../../fixtures/seed-readme-send.sh', import.meta.url);

export function seedReadmeSendTests(api: () => MessagesApi): void {
  describe('the seed README Send SMS example', () => {
    it('is accepted for a bicom client and stores the message', async () => {
      const created = await api().admin('POST', '/clients', {
        username: 'bicom',
        password: 'api_key',
        type: 'web',
        name: 'Bicom PBXware',
        timezone: 'America/Vancouver',
      });
      expect(created.status, created.text).toBe(201);
      const id = created.body.id as number;
      const settings = await api().admin('PUT', `/clients/${id}/settings`, {
        api_format: 'bicom',
        default_webhook: 'https://bicom.local/smsservice/connector',
      });
      expect(settings.status, settings.text).toBe(200);
      expect(settings.body.settings.auth_method).toBeNull();
      await api().addNumber(id, '+12505551234');

      const command = readFileSync(FIXTURE, 'utf8')
        .split('\n')
        .filter((line) => !line.startsWith('#'))
        .join('\n')
        .trim()
        .replaceAll('http://gateway:3000', api().base);
      expect(command).toContain('-H "Authorization: Bearer $(echo -n \'bicom:api_key\' | base64)"');
      const { stdout } = await run('bash', ['-c', `${command} -s -w '\\n%{http_code}'`]);
      const lines = stdout.split('\n');
      const status = Number(lines.pop());
      expect(status, stdout).toBe(200);
      expect(JSON.parse(lines.join('\n'))).toEqual({ status: 'success', message: '' });
      expect(await api().takeMessages('web')).toMatchObject([
        {
          type: 'sms',
          from: '+12505551234',
          to: '+14155559876',
          text: 'Hello!',
          origin: { kind: 'web', clientId: id },
        },
      ]);
    });
  });
}
