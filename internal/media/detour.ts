import { transcodeJobCodec } from '../../proto/media.js';
import type { Egress, MediaRef } from '../../proto/message.js';
import type { Subjects } from '../../proto/subjects.js';
import type { DurableBus } from '../bus/index.js';
import { mediaKind } from './content-types.js';
import { carrierLimit, type CarrierIdentity } from './limits.js';
import { fitsAsIs } from './transcoder.js';

export interface MediaDetourOptions {
  subjects: Subjects;
  /** MEDIA_CARRIER_LIMITS. */
  carrierLimits: Record<string, number>;
}

export interface MediaDetourDeps {
  bus: Pick<DurableBus, 'publishDurable'>;
  carrier(id: number): CarrierIdentity | undefined;
}

/**
 * Decides, for a routed message, whether its media need work before its egress, and if so
 * sends it to media.transcode instead (router/egress-publish.ts calls `divert`). Work is
 * needed when a part is only a URL (a carrier's or a client's: it is fetched into the media
 * store so every egress serves our /media links), or when a carrier-bound message is over the
 * carrier's limit, carries a type carriers do not take, or carries SMIL (carriers take URLs,
 * not presentations).
 */
export class MediaDetour {
  constructor(
    private readonly options: MediaDetourOptions,
    private readonly deps: MediaDetourDeps,
  ) {}

  /** The MMS size limit of the carrier a route leads to. */
  limitFor(carrierId: number, carrierName: string): number {
    const row = this.deps.carrier(carrierId) ?? { name: carrierName, type: '' };
    return carrierLimit(row, this.options.carrierLimits);
  }

  needed(egress: Egress): boolean {
    const media = egress.message.media;
    if (media.length === 0) return false;
    if (media.some((part) => !part.token)) return true;
    const route = egress.route;
    if (route.kind !== 'carrier') return false;
    return !this.fitsCarrier(media, this.limitFor(route.carrierId, route.carrierName));
  }

  /**
   * Publishes the message to media.transcode when its media need work: false when they do not,
   * else the publish's ack (`duplicate` when the same dedup key was diverted already).
   */
  async divert(egress: Egress, dedupKey: string): Promise<false | { duplicate: boolean }> {
    if (!this.needed(egress)) return false;
    return this.deps.bus.publishDurable(this.options.subjects.mediaTranscode, transcodeJobCodec.encode({ v: 1, egress, dedupKey }), {
      msgId: `${dedupKey}:${egress.route.kind}`,
    });
  }

  private fitsCarrier(media: MediaRef[], limit: number): boolean {
    if (media.some((part) => mediaKind(part.contentType) === 'smil')) return false;
    const total = media.reduce((sum, part) => sum + (part.sizeBytes ?? Infinity), 0);
    return (
      total <= limit && media.every((part) => fitsAsIs({ contentType: part.contentType, sizeBytes: part.sizeBytes ?? Infinity }, limit))
    );
  }
}
