import { describe, expect, it } from 'vitest';
import { cell, formatDuration, formatMiB, Output, renderRecord, renderTable } from './output.js';

function capture(json: boolean) {
  const text = { out: '', err: '' };
  const output = new Output(json, { stdout: { write: (s: string) => (text.out += s) }, stderr: { write: (s: string) => (text.err += s) } });
  return { output, text };
}

describe('renderTable', () => {
  it('shows one row per item under the column headers, without colour codes', () => {
    const table = renderTable(
      [{ id: 1, username: 'zultys', numbers: [1, 2] }],
      ['id', { key: 'username', header: 'client' }, { key: 'numbers', format: (v) => String((v as unknown[]).length) }],
    );
    expect(table).toBe(
      ['┌────┬────────┬─────────┐', '│ id │ client │ numbers │', '│ 1  │ zultys │ 2       │', '└────┴────────┴─────────┘', ''].join('\n'),
    );
    expect(table).not.toMatch(/\x1b\[/);
  });

  it('reaches into objects with dotted keys', () => {
    expect(renderTable([{ settings: { api_format: 'bicom' } }], ['settings.api_format'])).toContain('bicom');
  });

  it('says so when there is nothing', () => {
    expect(renderTable([], ['id'], 'No clients.')).toBe('No clients.\n');
  });
});

describe('renderRecord', () => {
  it('lists the chosen fields in order, skipping absent ones', () => {
    const text = renderRecord({ b: 2, a: 1, c: null }, ['a', 'b', 'c', 'missing']);
    expect(
      text
        .split('\n')
        .filter((l) => l.startsWith('│'))
        .map((l) => l.replace(/\s+/g, ' ')),
    ).toEqual(['│ a │ 1 │', '│ b │ 2 │', '│ c │ │']);
  });
});

describe('cell', () => {
  it('prints nothing for null, joins simple lists and shows objects as JSON', () => {
    expect(cell(null)).toBe('');
    expect(cell(undefined)).toBe('');
    expect(cell(['send', 'usage'])).toBe('send, usage');
    expect(cell([{ a: 1 }])).toBe('[{"a":1}]');
    expect(cell({ a: 1 })).toBe('{"a":1}');
    expect(cell(false)).toBe('false');
  });
});

describe('formatting', () => {
  it('shows uptime as its three largest units', () => {
    expect(formatDuration(5)).toBe('5s');
    expect(formatDuration(3_725)).toBe('1h 2m 5s');
    expect(formatDuration(90_061)).toBe('1d 1h 1m');
  });

  it('shows memory in MiB', () => {
    expect(formatMiB(52_428_800)).toBe('50.0 MiB');
    expect(formatMiB(undefined)).toBe('');
  });
});

describe('Output', () => {
  it('prints the data as JSON with --json and leaves out the lines meant for people', () => {
    const { output, text } = capture(true);
    output.table([{ id: 1 }], ['id']);
    output.say('Client 1 created.');
    expect(JSON.parse(text.out)).toEqual([{ id: 1 }]);
  });

  it('prints tables and lines otherwise, and warnings on stderr either way', () => {
    const { output, text } = capture(false);
    output.record({ id: 1 });
    output.say('done');
    output.warn('warning: unsigned');
    expect(text.out).toContain('│ id │ 1 │');
    expect(text.out.endsWith('done\n')).toBe(true);
    expect(text.err).toBe('warning: unsigned\n');
  });
});
