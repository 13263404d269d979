import { describe, expect, it } from 'vitest';
import { Interrupted } from '../errors.js';
import { doneOf, followJob, progressLine } from './batch.js';

function job(status: string, sent: number, failed: number, queued = 0) {
  return { id: 'b1', status, total_count: 10, sent_count: sent, failed_count: failed, queued_count: queued };
}

/** A stderr that is not a terminal: progress comes as lines. */
function pipe() {
  const lines: string[] = [];
  return { lines, stream: { isTTY: false, write: (s: string) => lines.push(s.trimEnd()) } as unknown as NodeJS.WriteStream };
}

describe('followJob', () => {
  it('polls until the job ends, with a line for each change', async () => {
    const answers = [
      job('pending', 0, 0),
      job('processing', 4, 0),
      job('processing', 4, 0),
      job('partially_queued', 6, 1, 3),
      job('completed', 9, 1),
    ];
    const { lines, stream } = pipe();
    const final = await followJob(async () => answers.shift()!, { intervalMs: 1, signal: new AbortController().signal, stderr: stream });
    expect(final.status).toBe('completed');
    expect(answers).toHaveLength(0);
    expect(lines).toEqual([
      'pending 0/10: sent 0, failed 0, queued 0',
      'processing 4/10: sent 4, failed 0, queued 0',
      'partially_queued 7/10: sent 6, failed 1, queued 3',
      'completed 10/10: sent 9, failed 1, queued 0',
    ]);
  });

  it('returns at once for a job that has ended', async () => {
    let calls = 0;
    const final = await followJob(async () => (calls++, job('cancelled', 2, 8)), {
      intervalMs: 1000,
      signal: new AbortController().signal,
      stderr: pipe().stream,
    });
    expect(final.status).toBe('cancelled');
    expect(calls).toBe(1);
  });

  it('stops when interrupted', async () => {
    const interrupt = new AbortController();
    const following = followJob(async () => job('processing', 1, 0), {
      intervalMs: 60_000,
      signal: interrupt.signal,
      stderr: pipe().stream,
    });
    setTimeout(() => interrupt.abort(), 10);
    await expect(following).rejects.toBeInstanceOf(Interrupted);
  });
});

describe('followJob on a terminal', () => {
  it('draws a bar that ends full, with the counts and the status', async () => {
    let drawn = '';
    const tty = {
      isTTY: true,
      columns: 120,
      rows: 40,
      write: (s: string) => {
        drawn += s;
        return true;
      },
      cursorTo: () => true,
      moveCursor: () => true,
      clearLine: () => true,
      clearScreenDown: () => true,
      on: () => tty,
      removeListener: () => tty,
    } as unknown as NodeJS.WriteStream;
    const answers = [job('processing', 2, 0), job('completed', 9, 1)];
    await followJob(async () => answers.shift()!, { intervalMs: 1, signal: new AbortController().signal, stderr: tty });
    const text = drawn.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    expect(text).toContain('100% | 10/10 | sent 9 failed 1 queued 0 | completed');
  });
});

describe('progress', () => {
  it('counts sent and failed messages as handled', () => {
    expect(doneOf(job('processing', 3, 2))).toBe(5);
    expect(progressLine(job('processing', 3, 2, 1))).toBe('processing 5/10: sent 3, failed 2, queued 1');
  });
});
