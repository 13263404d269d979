/**
 * The importer room: takes over a gomsggw database (`msggw import --from-postgres URL`). It reads
 * gomsggw's tables with its own connection and writes through the store's repositories only.
 */
export { openGomsggwSource } from './source.js';
export { importGomsggw } from './import.js';
export { formatEvent, formatSummary } from './report.js';
export { ImportAction, ImportKind } from './types.js';
export type { GomsggwSource, ImportEvent, ImportOptions, ImportProgress, ImportReport } from './types.js';
