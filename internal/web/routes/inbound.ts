import type { Router } from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { unsignedWebhooksWarning } from '../../../proto/carrier-types.js';
import { normalizeE164 } from '../../../proto/e164.js';
import { newMessage, type Message } from '../../../proto/message.js';
import type { StatusEvent } from '../../../proto/status.js';
import { generateObjectId } from '../../crypto/index.js';
import { ForbiddenError, NotFoundError, OutcomeUnknownError, UnavailableError } from '../../errors/index.js';
import type { Carrier } from '../../store/index.js';
import { CALLBACK_MESSAGE_ID, isCallbackMessageId } from '../../carriers/index.js';
import { publishStatus } from '../../router/index.js';
import { trustedProxies } from '../../peer/index.js';
import { cleanText, hasControlCharacter } from '../../text/index.js';
import type { ApiDocs } from '../api-docs.js';
import { clientIp } from '../client-ip.js';
import { filenameOf } from '../media-refs.js';
import { readRawBody } from '../middleware/json-body.js';
import type { WebDeps, WebhookResult } from '../types.js';
import { LogEvent } from '../../log/index.js';

/** Carrier webhooks are a few kilobytes; Twilio's largest form stays far below this. */
export const INBOUND_BODY_LIMIT_BYTES = 1024 * 1024;
const RETRY_AFTER_SECS = '1';

type InboundMessage = WebhookResult['messages'][number];
type InboundStatus = WebhookResult['statuses'][number];

/** One thing a webhook carried, stored when called. */
type Published = () => Promise<unknown>;

/**
 * The URL the carrier called, as it signed it: SERVER_ADDRESS + path + query (behind a proxy
 * the local URL differs). Without SERVER_ADDRESS, the URL this node was called at.
 */
export function publicUrl(serverAddress: string, ctx: Pick<Context, 'protocol' | 'host' | 'originalUrl'>): string {
  const base = serverAddress.trim().replace(/\/+$/, '');
  return `${base || `${ctx.protocol}://${ctx.host}`}${ctx.originalUrl}`;
}

function safeFilename(url: string): string {
  try {
    return filenameOf(url);
  } catch {
    return '';
  }
}

interface Origin {
  carrier: Carrier;
  node: string;
  sourceIp: string;
  now: number;
}

const CONTROLS = /[\u0000-\u001f\u007f]/g;

/**
 * A from/to that is no number, spelled for the record: cleaned, with every control character
 * shown as U+FFFD, so that removing a NUL can never turn it into a number the router would take.
 */
function addressSpelling(value: string): string {
  return cleanText(hasControlCharacter(value) ? value.replace(CONTROLS, '\uFFFD') : value);
}

/** The carrier's own id when it is a usable one: a control character makes it invalid (it goes into a bus header). */
function usableId(id: string | undefined): string | undefined {
  return id && !hasControlCharacter(id) ? id : undefined;
}

/**
 * A carrier's inbound message for msg.in.carrier. Its dedup key is the carrier's own id when it
 * gave one, so a carrier retrying the same webhook never enters the message twice. The text is
 * cleaned (cleanText): refusing it would only make the carrier retry what it cannot fix.
 */
export function carrierMessage(m: InboundMessage, { carrier, node, sourceIp, now }: Origin): { message: Message; msgId: string } {
  const media = m.media.map((part) => ({ url: part.url, contentType: part.contentType, filename: safeFilename(part.url) }));
  const message = newMessage({
    id: generateObjectId(),
    // The router refuses what is not a number; keep the carrier's spelling for its record.
    from: normalizeE164(m.from) ?? addressSpelling(m.from),
    to: normalizeE164(m.to) ?? addressSpelling(m.to),
    text: cleanText(m.text),
    media,
    origin: { kind: 'carrier', carrierId: carrier.id, sourceIp, node },
    receivedAt: now,
  });
  const carrierMsgId = usableId(m.carrierMsgId);
  const msgId = carrierMsgId ? `carrier:${carrier.id}:${carrierMsgId}` : message.id;
  return { message, msgId };
}

/**
 * A delivery status for status.<messageId> (or status.<carrierMsgId> when the carrier named only
 * its own id); undefined when an id it names holds a control character (no message has such an
 * id). The carrier's error text is cleaned.
 */
export function carrierStatus(s: InboundStatus, carrier: Carrier, pathMessageId: string, now: number): StatusEvent | undefined {
  const messageId = s.messageId ?? pathMessageId;
  if (hasControlCharacter(messageId) || hasControlCharacter(s.carrierMsgId)) return undefined;
  const errorCode = cleanText(s.errorCode ?? '');
  const errorText = cleanText(s.errorText ?? '');
  return {
    v: 1,
    messageId,
    status: s.status,
    from: '',
    to: '',
    carrierId: carrier.id,
    carrierMsgId: s.carrierMsgId,
    ...(errorCode ? { errorCode } : {}),
    ...(errorText ? { errorText } : {}),
    at: now,
  };
}

/**
 * POST /inbound/{uuid} and POST /inbound/{uuid}/status/{messageId} (upstream §5.11): carrier
 * webhooks. The signature is checked on the raw body against the public URL before anything
 * else (BUG-22): a bad or missing one is a 403 and nothing enters. Every message and status is
 * then stored on the bus, and only then is the carrier given its answer (Twilio's empty TwiML);
 * a failure to store is a 503, so the carrier retries.
 */
export function registerInboundRoutes(router: Router, deps: WebDeps): void {
  const trusted = trustedProxies(deps.trustedProxies ?? []);
  const { bus, subjects, logger } = deps;
  const { ingress } = deps;

  // Carriers whose first unsigned webhook this node has logged: one line each, then only the counter.
  const unsignedLogged = new Set<number>();
  const countUnsigned = (carrier: Carrier, sourceIp: string) => {
    const warning = unsignedWebhooksWarning(carrier);
    if (!warning) return;
    deps.metrics?.metrics.webhooksUnverified.inc({ carrier: carrier.name });
    if (unsignedLogged.has(carrier.id)) return;
    unsignedLogged.add(carrier.id);
    logger.warn(
      { carrier: carrier.name, carrierId: carrier.id, sourceIp },
      `carrier webhook accepted unsigned (counted in msggw_webhooks_unverified_total from now on): ${warning}`,
    );
  };

  const publishAll = async (items: Published[]) => {
    // One webhook carries one message or status (a handful at most): no unbounded fan-out.
    await Promise.all(items.map((store) => store()));
  };

  const handle = async (ctx: Context, messageId: string) => {
    const uuid = String(ctx.params.uuid).toLowerCase();
    const carrier = deps.directory.carrierByUuid(uuid);
    if (!carrier) {
      // Anyone may call this URL: the path is cut short, and it makes no metric label.
      logger.info(
        { event: LogEvent.UnknownCarrierUuid, uuid: uuid.slice(0, 64), peer: ctx.req.socket.remoteAddress },
        'carrier webhook for an unknown carrier',
      );
      throw new NotFoundError('carrier not found');
    }
    const rawBody = await readRawBody(ctx, INBOUND_BODY_LIMIT_BYTES);
    if (rawBody === undefined) return;
    const now = Date.now();
    const headers = ctx.req.headers;
    const sourceIp = clientIp(
      { peer: ctx.req.socket.remoteAddress, forwardedFor: ctx.get('X-Forwarded-For'), realIp: ctx.get('X-Real-IP') },
      trusted,
    );
    const url = publicUrl(deps.serverAddress, ctx);
    logger.debug(
      { event: LogEvent.InboundAttempt, carrier: carrier.name, sourceIp, status: Boolean(messageId) },
      'carrier webhook received',
    );
    if (!deps.carrierWebhooks.verify({ headers, rawBody, url, receivedAtMs: now }, carrier)) {
      logger.warn({ carrier: carrier.name, carrierId: carrier.id, sourceIp, url }, 'carrier webhook refused: bad or missing signature');
      throw new ForbiddenError('Invalid webhook signature');
    }
    countUnsigned(carrier, sourceIp);
    const result = deps.carrierWebhooks.parse(
      { headers, rawBody, contentType: ctx.get('Content-Type'), ...(messageId ? { messageId } : {}) },
      carrier,
    );
    const origin = { carrier, node: deps.serverId, sourceIp, now };
    const items: Published[] = result.messages.map((m) => {
      const { message, msgId } = carrierMessage(m, origin);
      return () => ingress('carrier', message, msgId);
    });
    for (const s of result.statuses) {
      const event = carrierStatus(s, carrier, messageId, now);
      if (!event || !(event.messageId || event.carrierMsgId)) {
        logger.warn({ carrier: carrier.name, status: s.status }, 'carrier status names no message; ignored');
        continue;
      }
      items.push(() => publishStatus(bus, subjects, event));
    }
    try {
      await publishAll(items);
    } catch (err) {
      ctx.set('Retry-After', RETRY_AFTER_SECS);
      // Either way a 503: the carrier sends it again with the same ids, which enter once.
      if (err instanceof OutcomeUnknownError)
        throw new OutcomeUnknownError('The webhook may not have been stored; retry later', { cause: err });
      throw new UnavailableError('The webhook could not be stored; retry later', { cause: err });
    }
    if (result.messages.length > 0) deps.metrics?.metrics.ingress.inc({ protocol: 'carrier' }, result.messages.length);
    ctx.status = result.response.status;
    ctx.type = result.response.contentType;
    ctx.body = result.response.body;
  };

  router.post('/inbound/:uuid', (ctx) => handle(ctx, ''));
  router.post('/inbound/:uuid/status/:messageId', async (ctx) => {
    const messageId = String(ctx.params.messageId);
    if (!isCallbackMessageId(messageId)) throw new NotFoundError('Not found');
    await handle(ctx, messageId);
  });
}

/** The API document's entries for registerInboundRoutes. */
export function documentInboundRoutes(api: ApiDocs): void {
  const uuid = z.string().meta({ description: "the carrier's uuid (24 hex characters)" });
  const common = {
    tag: 'Carrier webhooks',
    auth: 'public',
    method: 'post',
    description:
      'Signed by the carrier (Twilio X-Twilio-Signature; Telnyx telnyx-signature-ed25519 + telnyx-timestamp), checked on the raw body against SERVER_ADDRESS + path + query.',
    rawBody: {
      description: "The carrier's webhook as it sends it",
      contentTypes: ['application/x-www-form-urlencoded', 'application/json'],
    },
    responses: {
      200: { description: "The carrier driver's answer (Twilio: empty TwiML)", contentType: 'application/xml' },
      400: { description: 'A webhook the driver cannot read; nothing entered' },
      403: { description: 'Bad or missing signature; nothing entered' },
      404: { description: 'No such carrier' },
      413: { description: 'Body over 1 MB' },
      503: { description: 'Not stored (Retry-After: 1); the carrier retries' },
    },
  } as const;
  api.route({ ...common, path: '/inbound/{uuid}', summary: 'Inbound messages and statuses from a carrier', params: z.object({ uuid }) });
  api.route({
    ...common,
    path: '/inbound/{uuid}/status/{messageId}',
    summary: 'A status callback for one message (Twilio StatusCallback)',
    params: z.object({ uuid, messageId: z.string().regex(CALLBACK_MESSAGE_ID) }),
  });
}
