/**
 * The records room: the message ledger (one row per leg, gomsggw's msg_record_db_items) written
 * in batches, and the builders that turn a routed message into its legs.
 */
export { RecordWriter, DEFAULT_MAX_BATCH, DEFAULT_FLUSH_MS, DEFAULT_HOLD_MS, DEFAULT_WRITE_TIMEOUT_MS } from './writer.js';
export type { RecordWriterOptions } from './writer.js';
export { failoverText, legsFor, textPreview, unroutedLeg } from './legs.js';
export type { LegContext } from './legs.js';
