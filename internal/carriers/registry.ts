/**
 * The one list of carrier drivers. Adding a carrier: write its file, add it here, add its test.
 */
import type { Carrier } from '../store/index.js';
import { ValidationError } from '../errors/index.js';
import { onevoiceplusDriver } from './onevoiceplus.js';
import { telnyxDriver } from './telnyx.js';
import { twilioDriver } from './twilio.js';
import type { CarrierDriver, InboundRequest, InboundResult, VerifyRequest } from './types.js';

const DRIVERS = [twilioDriver, telnyxDriver, onevoiceplusDriver] as const;

/** A carrier type the gateway can talk to (the `type` of a carrier row). */
export type CarrierType = (typeof DRIVERS)[number]['type'];

/**
 * The carrier types, in registry order. The admin API refuses any other `type`, so an unknown
 * type never reaches start-up (upstream BUG-4).
 */
export const CARRIER_TYPES: readonly CarrierType[] = DRIVERS.map((d) => d.type);

const BY_TYPE: ReadonlyMap<string, CarrierDriver> = new Map(DRIVERS.map((d) => [d.type, d]));

/** True when `value` names a supported carrier type (already lowercased). */
export function isCarrierType(value: string): value is CarrierType {
  return BY_TYPE.has(value);
}

/** The driver for a carrier type (case-insensitive), or undefined. */
export function findDriver(type: string): CarrierDriver | undefined {
  return BY_TYPE.get(type.trim().toLowerCase());
}

/** The driver for a carrier type (case-insensitive); throws ValidationError for an unknown type. */
export function driverFor(type: string): CarrierDriver {
  const driver = findDriver(type);
  if (!driver) throw new ValidationError(`Unknown carrier type "${type}": use one of ${CARRIER_TYPES.join(', ')}`);
  return driver;
}

/** The carrier's egress cap in messages/s: its `maxRps`, or its driver's default when 0. */
export function effectiveMaxRps(carrier: Pick<Carrier, 'type' | 'maxRps'>): number {
  return carrier.maxRps > 0 ? carrier.maxRps : driverFor(carrier.type).defaultMaxRps;
}

/**
 * Verify-and-parse over the registry, the shape the web room's CarrierWebhooks expects: the
 * driver of the carrier row's type verifies and parses; a row of an unknown type is never
 * verified. Entry points receive this object; they never import the drivers.
 */
export function carrierWebhooks() {
  return {
    verify: (req: VerifyRequest, carrier: Carrier): boolean => findDriver(carrier.type)?.verify(req, carrier) ?? false,
    parse: (req: InboundRequest, carrier: Carrier): InboundResult => {
      const driver = findDriver(carrier.type);
      if (driver) return driver.parseInbound(req, carrier);
      const body = JSON.stringify({ error: `carrier type ${carrier.type} is not supported` });
      return { messages: [], statuses: [], response: { status: 400, contentType: 'application/json', body } };
    },
  };
}
