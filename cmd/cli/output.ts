/**
 * What the CLI prints: tables for people, the API's JSON unchanged with --json (for jq and
 * scripts), notes and warnings on stderr so stdout stays parseable.
 */
import Table from 'cli-table3';

export interface Column {
  /** The field of the row; a dotted path reaches into objects (`settings.api_format`). */
  key: string;
  header?: string;
  format?: (value: unknown, row: Record<string, unknown>) => string;
}

/** Columns given as field names, or with a header and formatter where the field needs one. */
export type Columns = Array<string | Column>;

/** No colours (the same bytes on a terminal, in a pipe and in a test) and no rules between rows. */
const PLAIN = { head: [], border: [] };
const COMPACT = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function valueAt(row: Record<string, unknown>, key: string): unknown {
  let value: unknown = row;
  for (const part of key.split('.')) value = (value as Record<string, unknown> | undefined)?.[part];
  return value;
}

/** One value as a table cell: nothing for null, lists joined, objects as compact JSON. */
export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.every((v) => typeof v !== 'object' || v === null) ? value.join(', ') : JSON.stringify(value);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function asColumn(column: string | Column): Column {
  return typeof column === 'string' ? { key: column } : column;
}

/** A table with one row per item, or `empty` when there are none. */
export function renderTable(rows: Array<Record<string, unknown>>, columns: Columns, empty = 'Nothing to show.'): string {
  if (rows.length === 0) return `${empty}\n`;
  const cols = columns.map(asColumn);
  const table = new Table({ head: cols.map((c) => c.header ?? c.key), style: PLAIN, chars: COMPACT });
  for (const row of rows) {
    table.push(cols.map((c) => (c.format ? c.format(valueAt(row, c.key), row) : cell(valueAt(row, c.key)))));
  }
  return `${table.toString()}\n`;
}

/** One object as a two-column table of field and value, in the object's own order unless `keys` given. */
export function renderRecord(record: Record<string, unknown>, keys?: string[]): string {
  const table = new Table({ style: PLAIN, chars: COMPACT });
  for (const key of keys ?? Object.keys(record)) {
    if (!(key in record)) continue;
    table.push({ [key]: cell(record[key]) });
  }
  return `${table.toString()}\n`;
}

/** Seconds as `3d 4h 5m`, the way Kannel's status page shows uptime. */
export function formatDuration(totalSecs: number): string {
  const secs = Math.max(0, Math.round(totalSecs));
  const parts: string[] = [];
  const units: Array<[number, string]> = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'm'],
  ];
  let rest = secs;
  for (const [size, unit] of units) {
    if (rest >= size || parts.length > 0) parts.push(`${Math.floor(rest / size)}${unit}`);
    rest %= size;
  }
  parts.push(`${rest}s`);
  return parts.slice(0, 3).join(' ');
}

/** Bytes as MiB with one decimal. */
export function formatMiB(bytes: unknown): string {
  return typeof bytes === 'number' ? `${(bytes / 1_048_576).toFixed(1)} MiB` : '';
}

export interface Streams {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

/** Where a command's results go, in the form the user asked for. */
export class Output {
  constructor(
    readonly json: boolean,
    readonly streams: Streams = process,
  ) {}

  /** The API's answer as JSON, or what `human` makes of it. */
  result(data: unknown, human: () => string): void {
    this.streams.stdout.write(this.json ? `${JSON.stringify(data, null, 2)}\n` : human());
  }

  table(data: Array<Record<string, unknown>>, columns: Columns, empty?: string): void {
    this.result(data, () => renderTable(data, columns, empty));
  }

  record(data: Record<string, unknown>, keys?: string[]): void {
    this.result(data, () => renderRecord(data, keys));
  }

  /** A line for people (not printed with --json, where the data says it). */
  say(line: string): void {
    if (!this.json) this.streams.stdout.write(`${line}\n`);
  }

  /** Something the user must see whatever the format: warnings, a secret shown once. */
  warn(line: string): void {
    this.streams.stderr.write(`${line}\n`);
  }
}
