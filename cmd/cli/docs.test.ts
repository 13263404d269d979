import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GENERATED_MARKER, withReference } from './docs.js';
import { allCommands, buildProgram } from './program.js';
import { runCli } from './run.js';

describe('docs/cli.md', () => {
  it("holds every command's live help text (npm run docs:cli rewrites it)", async () => {
    const current = await readFile(new URL('../../docs/cli.md', import.meta.url), 'utf8');
    expect(current).toContain(GENERATED_MARKER);
    expect(current, 'docs/cli.md is stale: run `npm run docs:cli`').toBe(withReference(current));
  });
});

describe('--help', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  const paths = allCommands(buildProgram())
    .filter(({ command }) => command.name() !== 'help')
    .map(({ name }) => name.split(' ').slice(1));

  it.each(paths.map((path) => [path.join(' ') || '(none)', path] as const))('works on %s, exit 0', async (_name, path) => {
    let out = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      out += String(chunk);
      return true;
    });
    expect(await runCli([...path, '--help'])).toBe(0);
    expect(out).toMatch(new RegExp(`^Usage: msggw${path.map((p) => ` ${p}(\\|\\S+)?`).join('')} `));
  });

  it('every command says what it does', () => {
    for (const { name, command } of allCommands(buildProgram())) expect(command.description(), name).not.toBe('');
  });
});
