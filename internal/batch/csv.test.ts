import { describe, expect, it } from 'vitest';
import { csvRows } from './csv.js';

async function rows(csv: string | string[]) {
  const chunks = Array.isArray(csv) ? csv : [csv];
  const out = [];
  for await (const row of csvRows(
    (async function* () {
      for (const c of chunks) yield Buffer.from(c);
    })(),
  ))
    out.push(row);
  return out;
}

describe('csvRows (upstream §15.2, batch_test.go)', () => {
  it('reads the recipient and every other column as a variable', async () => {
    expect(await rows('to,name,code\n+15550001111,Ann,42\n')).toEqual([
      { to: '+15550001111', text: '', variables: { name: 'Ann', code: '42' } },
    ]);
  });

  it('takes a text column as the per-row text', async () => {
    expect(await rows('to,text\n+15550001111,hello\n')).toEqual([{ to: '+15550001111', text: 'hello', variables: {} }]);
  });

  it('accepts the phone and body aliases, header names in any case, variables keeping theirs', async () => {
    expect(await rows(' PHONE , Body ,Name\n+15550001111, hi ,Ann\n')).toEqual([
      { to: '+15550001111', text: 'hi', variables: { Name: 'Ann' } },
    ]);
  });

  it('skips rows without a recipient and rows too short to have one', async () => {
    expect(await rows('name,to\nAnn,\nBob\nCy,+15550001111\n\n')).toEqual([{ to: '+15550001111', text: '', variables: { name: 'Cy' } }]);
  });

  it('reads rows split across chunks anywhere, a quoted field holding a comma and a newline', async () => {
    expect(await rows(['to,na', 'me\n+1555000', '1111,"Ann, the\nfirst"\n'])).toEqual([
      { to: '+15550001111', text: '', variables: { name: 'Ann, the\nfirst' } },
    ]);
  });

  it('refuses a CSV without a recipient column', async () => {
    await expect(rows('name,code\nAnn,1\n')).rejects.toThrow("CSV must have a 'to' (or 'phone'/'number'/'destination') column");
  });

  it('refuses a CSV with no usable row', async () => {
    await expect(rows('to,name\n,Ann\n')).rejects.toThrow('CSV contains no valid message rows');
  });

  it('names the line of malformed CSV', async () => {
    await expect(rows('to,name\n+15550001111,"Ann\n')).rejects.toThrow(/^CSV parse error on line \d+: /);
  });
});
