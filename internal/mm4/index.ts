/**
 * The MM4 room (MMS over SMTP with legacy clients, 3GPP TS 23.140 §8.4): the inbound listener
 * (server.ts) that identifies peers by IP and answers 250 only once a mail is stored
 * (inbound.ts), responses to requests that ask for them (responder.ts), and the egress worker
 * delivering MM4_forward.REQ and delivery reports to clients' SMTP servers (egress.ts). Pure
 * parts: header reading (headers.ts), MIME parsing (parse.ts), SMIL (smil.ts), mail
 * composition (compose.ts) and status mapping (status-map.ts).
 */
export type { Mm4Address, Mm4Headers, Mm4Mail, Mm4Part, Mm4Directory, ReportRequest } from './types.js';
export { Mm4MessageType, MM4_VERSION } from './types.js';
export { parseAddress, parseAddressList, plmnAddress, readMm4Headers, headerBlock, gatewayIdOf, REQUIRED_HEADERS } from './headers.js';
export { parseMm4, checkMime } from './parse.js';
export type { SmilPart } from './smil.js';
export { buildSmil } from './smil.js';
export type { ForwardRequest, OutboundPart, ResponseMail, DeliveryReportMail } from './compose.js';
export { composeForwardReq, composeResponse, composeDeliveryReport } from './compose.js';
export { statusFromRequestStatus, statusFromMmStatus, mmStatusFor } from './status-map.js';
export type { SmtpReply } from './smtp-reply.js';
export { toSmtpReply } from './smtp-reply.js';
export { PeerDirectory, mm4Endpoint, DEFAULT_MM4_PORT } from './peers.js';
export type { SendRaw, SmtpTarget, RawMail, SendOptions } from './sender.js';
export { sendRaw, SmtpSendError } from './sender.js';
export { Mm4Inbound, QUEUED_TEXT } from './inbound.js';
export type { InboundOptions, InboundDeps, InboundPeer, Responder } from './inbound.js';
export { Mm4Responder } from './responder.js';
export type { ResponderOptions, ResponderDeps } from './responder.js';
export { Mm4Server, DEFAULT_MM4_DRAIN_MS } from './server.js';
export type { Mm4ServerOptions, Mm4ServerDeps, Mm4ClientStats } from './server.js';
export { Mm4Egress, DEFAULT_MM4_RETRY_DELAY_MS } from './egress.js';
export type { Mm4EgressOptions, Mm4EgressDeps } from './egress.js';
