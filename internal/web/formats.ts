/**
 * The three request shapes of POST /messages/send, chosen by the client's `api_format`
 * (upstream §5.9, §11.1), read into one SendRequest; and the answers each format expects.
 * Unknown fields are ignored and JSON null counts as absent, as Go's decoder treated them.
 */
import { z } from 'zod';
import { ApiFormat, type ClientDetails } from '../store/index.js';
import { parseBody } from './validation.js';

/** One media item as the client gave it: a URL to fetch, or inline base64 content. */
export interface MediaInput {
  url: string;
  /** Inline base64 (generic format); '' when absent. */
  content: string;
  contentType: string;
  filename: string;
}

/** A send request, whatever format it came in. Empty strings mean "not given". */
export interface SendRequest {
  /** generic only: must match the authenticated client when non-zero. */
  clientId: number;
  from: string;
  to: string;
  text: string;
  media: MediaInput[];
}

const str = z
  .string()
  .nullish()
  .transform((value) => value ?? '');
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((value) => value ?? []);

const genericSchema = z
  .object({
    client_id: z.number().int().min(0).nullish(),
    from: str,
    to: str,
    text: str,
    media: list(z.object({ filename: str, content: str, content_type: str, url: str })),
  })
  .meta({ id: 'SendGeneric', description: 'api_format generic (the default); media content is base64' });

const bicomSchema = z
  .object({
    from: str,
    to: str,
    text: str,
    media_urls: list(z.string()),
  })
  .meta({ id: 'SendBicom', description: 'api_format bicom; a media URL may be a data: URL' });

const phone = z.object({ phone_number: str }).nullish();

const telnyxSchema = z
  .object({
    data: z
      .object({
        event_type: str,
        payload: z
          .object({
            from: phone,
            // The Telnyx API takes `to` as a string; upstream's webhook-shaped body, as a list.
            to: z.union([z.string(), z.array(z.object({ phone_number: str }).nullable())]).nullish(),
            text: str,
            media: list(z.object({ url: str, content_type: str })),
          })
          .nullish(),
      })
      .nullish(),
  })
  .meta({ id: 'SendTelnyx', description: 'api_format telnyx: the first recipient only' });

/** A send body in any of the three shapes; the client's api_format says which one it is read as. */
export const sendBodySchema = z.union([genericSchema, bicomSchema, telnyxSchema]);

function fromGeneric(body: unknown): SendRequest {
  const input = parseBody(genericSchema, body);
  return {
    clientId: input.client_id ?? 0,
    from: input.from,
    to: input.to,
    text: input.text,
    media: input.media.map((m) => ({ url: m.url, content: m.content, contentType: m.content_type, filename: m.filename })),
  };
}

function fromBicom(body: unknown): SendRequest {
  const input = parseBody(bicomSchema, body);
  return {
    clientId: 0,
    from: input.from,
    to: input.to,
    text: input.text,
    media: input.media_urls.map((url) => ({ url, content: '', contentType: '', filename: '' })),
  };
}

function fromTelnyx(body: unknown): SendRequest {
  const payload = parseBody(telnyxSchema, body).data?.payload;
  const to = payload?.to;
  return {
    clientId: 0,
    from: payload?.from?.phone_number ?? '',
    // Upstream used the first recipient only.
    to: typeof to === 'string' ? to : (to?.[0]?.phone_number ?? ''),
    text: payload?.text ?? '',
    media: (payload?.media ?? []).map((m) => ({ url: m.url, content: '', contentType: m.content_type, filename: '' })),
  };
}

/** The client's format; a client without settings (or an unknown value) is generic. */
export function apiFormatOf(client: ClientDetails): ApiFormat {
  const format = client.settings?.apiFormat;
  return format === ApiFormat.BICOM || format === ApiFormat.TELNYX ? format : ApiFormat.GENERIC;
}

/** Reads a send body in `format`; a body of the wrong shape is a 400 naming the field. */
export function parseSendRequest(format: ApiFormat, body: unknown): SendRequest {
  switch (format) {
    case ApiFormat.BICOM:
      return fromBicom(body);
    case ApiFormat.TELNYX:
      return fromTelnyx(body);
    default:
      return fromGeneric(body);
  }
}

export interface FormatAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** Success once the message is stored: bicom 200 `{status:"success",message:""}`, else 202 queued. */
export function acceptedAnswer(format: ApiFormat, id: string): FormatAnswer {
  return format === ApiFormat.BICOM
    ? { status: 200, body: { status: 'success', message: '' } }
    : { status: 202, body: { status: 'queued', id } };
}

/** True when the format's errors are `{"status":"error","message":...}` rather than `{"error":...}`. */
export function usesStatusErrors(format: ApiFormat): boolean {
  return format === ApiFormat.BICOM;
}
