import { describe, expect, it } from 'vitest';
import type { MediaRef } from '../../proto/message.js';
import type { MediaFile } from '../media/index.js';
import { inlineMedia } from './webhook-media.js';

/** A media store holding `files` by token, recording the size limit of every read. */
function fakeStore(files: Record<string, Buffer>) {
  const reads: Array<{ token: string; maxBytes?: number }> = [];
  return {
    reads,
    get: async (token: string, opts: { maxBytes?: number } = {}) => {
      reads.push({ token, maxBytes: opts.maxBytes });
      const bytes = files[token];
      if (!bytes || (opts.maxBytes !== undefined && bytes.length > opts.maxBytes)) return undefined;
      return { token, bytes } as MediaFile;
    },
  };
}

const part = (token: string | undefined, sizeBytes?: number): MediaRef => ({
  token,
  url: `https://gw.example/media/${token}.bin`,
  contentType: 'image/jpeg',
  filename: `${token}.jpg`,
  sizeBytes,
});

describe('inlineMedia', () => {
  it('gives every stored part its base64 while the message stays within the cap', async () => {
    const store = fakeStore({ a: Buffer.from('first'), b: Buffer.from('second') });
    const inline = await inlineMedia([part('a', 5), part('b', 6)], store, 11);
    expect([...inline]).toEqual([
      [0, Buffer.from('first').toString('base64')],
      [1, Buffer.from('second').toString('base64')],
    ]);
    expect(store.reads).toEqual([
      { token: 'a', maxBytes: 11 },
      { token: 'b', maxBytes: 6 },
    ]);
  });

  it('leaves out a part past what is left of the cap without reading it, and takes a later one that fits', async () => {
    const store = fakeStore({ a: Buffer.alloc(6), big: Buffer.alloc(100), c: Buffer.alloc(4) });
    const inline = await inlineMedia([part('a', 6), part('big', 100), part('c', 4)], store, 10);
    expect([...inline.keys()]).toEqual([0, 2]);
    expect(store.reads.map((r) => r.token)).toEqual(['a', 'c']);
  });

  it("asks the store for no more than is left when a part's size is unknown", async () => {
    const store = fakeStore({ a: Buffer.alloc(50) });
    const inline = await inlineMedia([part('a')], store, 20);
    expect(inline.size).toBe(0);
    expect(store.reads).toEqual([{ token: 'a', maxBytes: 20 }]);
  });

  it('inlines nothing with a cap of 0, nor a part that is only a URL or gone from the store', async () => {
    const store = fakeStore({ a: Buffer.alloc(1) });
    expect((await inlineMedia([part('a', 1)], store, 0)).size).toBe(0);
    expect((await inlineMedia([part(undefined, 1), part('gone', 1)], store, 100)).size).toBe(0);
    expect(store.reads.map((r) => r.token)).toEqual(['gone']);
  });
});
