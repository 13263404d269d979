import { fetchClient, type HttpClient } from '../carriers/index.js';
import { hmacSha256Hex } from '../crypto/index.js';
import type { ClientDetails } from '../store/index.js';

export interface WebhookResult {
  ok: boolean;
  status?: number;
  error?: string;
}

/**
 * One webhook POST. Headers: the auth gomsggw sent (the client's own credentials — Bearer for
 * bicom, Basic otherwise — which PBXware checks), and X-Msggw-Signature so receivers can verify
 * the body came from us: `t=<unix seconds>,v1=<hex HMAC-SHA256(webhook_secret, "<t>.<body>")>`.
 */
export async function postWebhook(
  url: string,
  body: unknown,
  client: ClientDetails,
  opts: {
    timeoutMs: number;
    signal: AbortSignal;
    http?: HttpClient;
    fetch?: typeof fetch;
    now?: () => number;
    /** False leaves the client's credentials out (a URL the client's API key chose). Default true. */
    credentials?: boolean;
  },
): Promise<WebhookResult> {
  const raw = JSON.stringify(body);
  const t = Math.floor((opts.now ?? Date.now)() / 1000);
  const secret = client.settings?.webhookSecret ?? '';
  const credentials = Buffer.from(`${client.username}:${client.password}`).toString('base64');
  const scheme = client.settings?.apiFormat === 'bicom' ? 'Bearer' : 'Basic';
  const send = opts.http ?? fetchClient(opts.fetch ?? fetch);
  try {
    const res = await send({
      url,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(opts.credentials === false ? {} : { authorization: `${scheme} ${credentials}` }),
        'x-msggw-signature': `t=${t},v1=${hmacSha256Hex(secret, `${t}.${raw}`)}`,
        'user-agent': 'msggw',
      },
      body: raw,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
    });
    return res.status < 300 ? { ok: true, status: res.status } : { ok: false, status: res.status, error: `HTTP ${res.status}` };
  } catch (err) {
    return { ok: false, error: (err as Error).name === 'TimeoutError' ? 'timed out' : (err as Error).message };
  }
}
