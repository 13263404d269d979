import { z } from 'zod';
import { jsonCodec } from './codec.js';

/**
 * batch.run, version 1: a batch job to work on. The job and its items live in the store; the
 * message only names the job, so any node may take it and a redelivery (its node died) resumes
 * where the store says the job stands.
 */
export const batchRunSchema = z.object({
  v: z.literal(1),
  batchId: z.string().min(1).max(64),
});
export type BatchRun = z.infer<typeof batchRunSchema>;
export const batchRunCodec = jsonCodec(batchRunSchema);
