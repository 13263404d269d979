/**
 * The import rules of the rooms, checked on the real import graph (madge, type imports included):
 * no cycle between files or between rooms, a room reached from another only through its door
 * (index.ts), production code (cmd/, internal/, proto/) never importing test code, and every
 * production file reached from a command (so test-only helpers and dead code live elsewhere).
 */
import { describe, expect, it } from 'vitest';
import madge from 'madge';

const PRODUCTION = ['cmd', 'internal', 'proto'];
const isTest = (file: string) => file.endsWith('.test.ts');

/** The room a file belongs to: internal/<room>, or cmd, proto, test. */
const roomOf = (file: string) => (file.startsWith('internal/') ? file.split('/').slice(0, 2).join('/') : file.split('/')[0]!);

async function importGraph(): Promise<Record<string, string[]>> {
  const result = await madge([...PRODUCTION, 'test/support'], {
    baseDir: '.',
    fileExtensions: ['ts'],
    tsConfig: 'tsconfig.json',
    detectiveOptions: { ts: { skipTypeImports: false }, es6: { skipTypeImports: false } },
  });
  return result.obj();
}

/** Every cycle in a directed graph, each as the path that closes it. */
function cycles(edges: Map<string, Set<string>>): string[] {
  const found: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (node: string, path: string[]) => {
    state.set(node, 'open');
    for (const next of edges.get(node) ?? []) {
      if (state.get(next) === 'open') found.push([...path.slice(path.indexOf(next)), next].join(' -> '));
      else if (!state.has(next)) visit(next, [...path, next]);
    }
    state.set(node, 'done');
  };
  for (const node of edges.keys()) if (!state.has(node)) visit(node, [node]);
  return found;
}

describe('imports', async () => {
  const graph = await importGraph();
  const production = Object.entries(graph).filter(([file]) => PRODUCTION.includes(file.split('/')[0]!) && !isTest(file));

  it('reads the real graph', () => {
    // A resolution failure would leave every file without imports and every rule below vacuous.
    expect(graph['cmd/gateway/node.ts']).toContain('internal/web/index.ts');
    expect(production.length).toBeGreaterThan(200);
  });

  it('has no cycle between production files', () => {
    const edges = new Map(production.map(([file, deps]) => [file, new Set(deps.filter((d) => !isTest(d)))]));
    expect(cycles(edges)).toEqual([]);
  });

  it('has no cycle between rooms', () => {
    const edges = new Map<string, Set<string>>();
    for (const [file, deps] of production) {
      for (const dep of deps) {
        if (roomOf(dep) === roomOf(file)) continue;
        if (!edges.has(roomOf(file))) edges.set(roomOf(file), new Set());
        edges.get(roomOf(file))!.add(roomOf(dep));
      }
    }
    expect(cycles(edges)).toEqual([]);
  });

  it('enters another room only through its door', () => {
    const sideDoors = production.flatMap(([file, deps]) =>
      deps
        .filter((dep) => dep.startsWith('internal/') && roomOf(dep) !== roomOf(file) && dep !== `${roomOf(dep)}/index.ts`)
        .map((dep) => `${file} -> ${dep}`),
    );
    expect(sideDoors).toEqual([]);
  });

  it('reaches every production file from a command', () => {
    // Read by tools rather than imported: the docs generator (npm run docs:cli) and the launch
    // flags that package.json's start script repeats (launch.test.ts keeps them in step).
    const tools = new Set(['cmd/cli/docs.ts', 'cmd/gateway/launch.ts']);
    const reached = new Set<string>();
    const pending = production.map(([file]) => file).filter((file) => /^cmd\/[^/]+\/main\.ts$/.test(file));
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (reached.has(file)) continue;
      reached.add(file);
      pending.push(...(graph[file] ?? []));
    }
    expect(production.map(([file]) => file).filter((file) => !reached.has(file) && !tools.has(file))).toEqual([]);
  });

  it('keeps test code out of production code', () => {
    const intoTests = production.flatMap(([file, deps]) =>
      deps.filter((dep) => dep.startsWith('test/') || isTest(dep)).map((dep) => `${file} -> ${dep}`),
    );
    expect(intoTests).toEqual([]);
  });
});
