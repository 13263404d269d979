import { describe, expect, it } from 'vitest';
import type { Message } from '../../proto/message.js';
import { ForbiddenError } from '../errors/index.js';
import { MediaUrlRefusedError } from './url-guard.js';
import type { MediaFile, MediaStore } from './ports.js';
import { MediaPreparer } from './prepare.js';

const TOKEN = 'A'.repeat(32);
const file: MediaFile = {
  token: TOKEN,
  contentType: 'image/jpeg',
  filename: 'photo.jpg',
  sizeBytes: 3,
  url: '',
  expiresAt: new Date(),
  bytes: Buffer.from('jpg'),
};
const store = {
  get: async (t: string) => (t === TOKEN ? file : undefined),
  put: async () => {
    throw new Error('nothing is stored again');
  },
} as unknown as MediaStore;

function preparer(serverAddress?: string) {
  const fetched: string[] = [];
  const p = new MediaPreparer(
    { maxBytes: 1_000_000, fetchTimeoutMs: 1_000, tempDir: '/tmp', serverAddress },
    {
      media: store,
      mediaAuth: () => ({}),
      // What the node's guard does with a private address (url-guard.test.ts).
      fetch: (async (url: string) => {
        fetched.push(url);
        throw new MediaUrlRefusedError('not a public address');
      }) as unknown as typeof fetch,
    },
  );
  return { p, fetched };
}

const message = (url: string): Message => ({
  v: 1,
  id: 'm1',
  type: 'mms',
  from: '+15550000001',
  to: '+15550000002',
  text: '',
  notice: false,
  receivedAt: 0,
  origin: { kind: 'web', clientId: 1, node: 'n1' },
  media: [{ url, contentType: 'application/octet-stream', filename: '' }],
});

describe('MediaPreparer: a URL of our own /media/', () => {
  it("reads the stored file instead of fetching it (the gateway's address may be private)", async () => {
    const { p, fetched } = preparer('http://10.0.0.5:8080');
    const [ref] = await p.prepare(message(`http://10.0.0.5:8080/media/${TOKEN}.jpg`), undefined, AbortSignal.timeout(1_000));
    expect(ref).toMatchObject({ token: TOKEN, contentType: 'image/jpeg', sizeBytes: 3, filename: 'photo.jpg' });
    expect(fetched).toEqual([]);
  });

  it('fetches anything else through the guard: another host, another path, an unknown token shape', async () => {
    const { p, fetched } = preparer('http://10.0.0.5:8080');
    for (const url of ['http://10.0.0.6:8080/media/' + TOKEN, `http://10.0.0.5:8080/other/${TOKEN}`, 'http://10.0.0.5:8080/media/short']) {
      await expect(p.prepare(message(url), undefined, AbortSignal.timeout(1_000))).rejects.toBeInstanceOf(ForbiddenError);
    }
    expect(fetched).toHaveLength(3);
  });

  it('says a stored file is gone when its token is unknown', async () => {
    const { p } = preparer('http://10.0.0.5:8080/');
    await expect(p.prepare(message(`http://10.0.0.5:8080/media/${'B'.repeat(32)}`), undefined, AbortSignal.timeout(1_000))).rejects.toThrow(
      /expired or is unknown/,
    );
  });
});
