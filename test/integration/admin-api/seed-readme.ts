/**
 * The curl lines of gomsggw's README, run as they are written (through bash and curl) against a
 * fresh gateway: the ids 1 and 2 they use are the first two clients of an empty database.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ADMIN_KEY, type AdminApi, type MakeStore, useAdminApi } from './harness.js';

const run = promisify(execFile);
const FIXTURE = new URL('../../fixtures/seed-readme-admin.sh', import.meta.url);

interface Example {
  title: string;
  expect: number;
  command: string;
}

/** Splits the fixture into commands, each with the comment title and `# expect:` before it. */
export function readExamples(text: string): Example[] {
  const examples: Example[] = [];
  let title = '';
  let status = 0;
  let command: string[] = [];
  for (const line of text.split('\n')) {
    if (command.length > 0) {
      command.push(line);
      if (!line.endsWith('\\')) {
        examples.push({ title, expect: status, command: command.join('\n') });
        command = [];
      }
    } else if (line.startsWith('# expect:')) status = Number(line.slice('# expect:'.length));
    else if (line.startsWith('# ')) title = line.slice(2);
    else if (line.startsWith('curl ')) command = [line];
  }
  return examples;
}

async function curl(api: AdminApi, example: Example): Promise<{ status: number; body: string }> {
  const command = example.command.replaceAll('http://gateway:3000', api.base).replaceAll('admin:API_KEY', `admin:${ADMIN_KEY}`);
  const { stdout } = await run('bash', ['-c', `${command} -s -w '\\n%{http_code}'`]);
  const lines = stdout.split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

export function seedReadmeTests(makeStore: MakeStore): void {
  describe('the seed README curl examples', () => {
    const api = useAdminApi(makeStore);
    const examples = readExamples(readFileSync(FIXTURE, 'utf8'));

    it('reads four examples from the fixture', () => {
      expect(examples.map((e) => e.expect)).toEqual([201, 201, 201, 200]);
    });

    it('work unchanged with their documented status codes, on a gateway with no carrier yet', async () => {
      // The README's number names carrier "telnyx" before any carrier exists: a carrier type is
      // accepted as gomsggw's numbers used them, and routes through the carrier of that type.
      const bodies: any[] = [];
      for (const example of examples) {
        const result = await curl(api(), example);
        expect(result.status, `${example.title}: ${result.body}`).toBe(example.expect);
        expect(() => bodies.push(JSON.parse(result.body))).not.toThrow();
      }
      // smpp_pass is 9 characters, one over SMPP 3.4's 8: accepted as gomsggw did, with a warning.
      expect(bodies[0].warnings).toEqual([expect.stringMatching(/^password: 9 octets is longer than the 8 SMPP 3\.4 allows/)]);
      expect(bodies[2]).not.toHaveProperty('warnings');
      const zultys = (await api().get('/clients/1')).body;
      expect(zultys).toMatchObject({ username: 'zultys', type: 'legacy', address: '192.168.1.100' });
      expect(zultys.numbers).toMatchObject([{ number: '+12505551234', carrier: 'telnyx' }]);
      const bicom = (await api().get('/clients/2')).body;
      expect(bicom).toMatchObject({ username: 'bicom', type: 'web', timezone: 'America/Vancouver' });
      expect(bicom.settings).toMatchObject({ api_format: 'bicom', default_webhook: 'https://bicom.local/smsservice/connector' });
    });
  });
}
