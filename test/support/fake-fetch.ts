/** A fetch stand-in for unit tests: records each call and answers from a function. */

export interface FetchCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

export type Responder = (call: FetchCall, index: number) => Response | Promise<Response>;

export interface RecordingFetch {
  fetch: typeof fetch;
  calls: FetchCall[];
}

export function recordingFetch(responder: Responder): RecordingFetch {
  const calls: FetchCall[] = [];
  const fake = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const call: FetchCall = {
      url: String(input),
      method: init.method ?? 'GET',
      headers: Object.fromEntries(new Headers(init.headers).entries()),
      body: typeof init.body === 'string' ? init.body : '',
    };
    calls.push(call);
    init.signal?.throwIfAborted();
    return responder(call, calls.length - 1);
  };
  return { fetch: fake as typeof fetch, calls };
}

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}
