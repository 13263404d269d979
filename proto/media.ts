import { z } from 'zod';
import { jsonCodec } from './codec.js';
import { egressSchema } from './message.js';

/**
 * media.transcode, version 1: a routed MMS whose media must be fetched into the media store
 * and/or made to fit its carrier's size limit before it continues to its egress subject.
 * `dedupKey` is the key the message was routed under, so the publish after transcoding is
 * deduplicated exactly like a direct one.
 */
export const transcodeJobSchema = z.object({
  v: z.literal(1),
  egress: egressSchema,
  dedupKey: z.string().min(1),
});
export type TranscodeJob = z.infer<typeof transcodeJobSchema>;
export const transcodeJobCodec = jsonCodec(transcodeJobSchema);
