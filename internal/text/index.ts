/** The text room: SMS alphabets and segment maths, pure functions shared by every front door. */
export { segmentInfo, gsm7Length, GSM7_SINGLE, GSM7_PART, UCS2_SINGLE, UCS2_PART } from './segments.js';
export type { SmsEncoding, SegmentInfo } from './segments.js';
export { GSM7_BASIC, GSM7_EXTENSION, GSM7_BASIC_INDEX, GSM7_EXTENSION_INDEX } from './gsm7.js';
