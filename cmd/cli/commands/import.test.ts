import { describe, expect, it } from 'vitest';
import { importProgress } from './import.js';

function terminal() {
  const out = { text: '' };
  const stream = {
    isTTY: true,
    columns: 120,
    rows: 40,
    write: (s: string) => {
      out.text += s;
      return true;
    },
    cursorTo: () => true,
    moveCursor: () => true,
    clearLine: () => true,
    clearScreenDown: () => true,
    on: () => stream,
    removeListener: () => stream,
  } as unknown as NodeJS.WriteStream;
  return { out, stream };
}

describe('importProgress', () => {
  it('draws a bar per kind of row on a terminal, media counting up without a total', () => {
    const { out, stream } = terminal();
    const progress = importProgress(stream);
    for (let done = 1; done <= 3; done++) progress.onProgress!({ kind: 'carrier', done, total: 3 });
    for (let done = 1; done <= 5; done++) progress.onProgress!({ kind: 'media', done });
    progress.stop();
    const text = out.text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(text).toMatch(/carrier +\S+ 3\/3/);
    expect(text).toMatch(/media +\S+ 5\/5/);
  });

  it('draws nothing where stderr is not a terminal (the lines on stdout say it all)', () => {
    expect(importProgress({ isTTY: false } as NodeJS.WriteStream).onProgress).toBeUndefined();
  });
});
