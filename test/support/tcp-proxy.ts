/**
 * A loopback TCP proxy for fault tests: point a client at `url` instead of the server, then
 * `cut()` to drop every connection at once and refuse new ones, which is what the server sees
 * when a node dies (SIGKILL, power loss) — without killing the test process.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  /** The target URL with host and port replaced by the proxy's (same scheme). */
  readonly url: string;
  /** Destroys every proxied connection and stops listening. Idempotent. */
  cut(): Promise<void>;
}

export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const track = (s: Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
  };
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    track(client);
    track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('proxy has no TCP address');
  let cutting: Promise<void> | undefined;
  return {
    url: `${target.protocol}//127.0.0.1:${address.port}`,
    cut: () =>
      (cutting ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      })),
  };
}
