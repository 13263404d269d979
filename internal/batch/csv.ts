import { parse, type CsvError } from 'csv-parse';
import { ValidationError } from '../errors/index.js';
import type { BatchRow } from './types.js';

/** Header names of the recipient column, matched trimmed and case-insensitively (upstream §15.2). */
const TO_NAMES = new Set(['to', 'phone', 'number', 'destination']);
/** Header names of a per-row text column. */
const TEXT_NAMES = new Set(['text', 'message', 'body']);

/** Where each column of a CSV batch goes, from its header row. */
export interface CsvColumns {
  to: number;
  /** -1 without a text column. */
  text: number;
  /** Every other column: [index, variable name as the header spells it]. */
  variables: Array<[number, string]>;
}

export function csvColumns(header: readonly string[]): CsvColumns {
  const names = header.map((name) => name.trim());
  const find = (wanted: Set<string>) => names.findIndex((name) => wanted.has(name.toLowerCase()));
  const to = find(TO_NAMES);
  if (to < 0) throw new ValidationError("CSV must have a 'to' (or 'phone'/'number'/'destination') column");
  const text = find(TEXT_NAMES);
  const variables = names.flatMap((name, i): Array<[number, string]> => (i === to || i === text ? [] : [[i, name]]));
  return { to, text, variables };
}

/** One data row as a batch row; undefined when it is skipped (empty `to`, or too short to have one). */
export function csvRow(record: readonly string[], columns: CsvColumns): BatchRow | undefined {
  const to = record[columns.to]?.trim() ?? '';
  if (to === '') return undefined;
  const variables: Record<string, string> = {};
  for (const [i, name] of columns.variables) {
    const value = record[i];
    if (value !== undefined) variables[name] = value.trim();
  }
  return { to, text: columns.text >= 0 ? (record[columns.text]?.trim() ?? '') : '', variables };
}

/**
 * The rows of a CSV batch, read as `source` streams in (never held whole): the first record is
 * the header (csvColumns), blank lines and rows without a recipient are skipped. Throws
 * ValidationError for malformed CSV (with its line), a missing recipient column, or no usable row.
 */
export async function* csvRows(source: AsyncIterable<Buffer | string>): AsyncGenerator<BatchRow> {
  const parser = parse({ relax_column_count: true, ltrim: true, skip_empty_lines: true, bom: true });
  const feeding = feed(source, parser);
  let columns: CsvColumns | undefined;
  let rows = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!columns) {
        columns = csvColumns(record);
        continue;
      }
      const row = csvRow(record, columns);
      if (row) {
        rows += 1;
        yield row;
      }
    }
  } catch (err) {
    throw asValidation(err);
  } finally {
    parser.destroy();
    await feeding;
  }
  if (!columns) throw new ValidationError('CSV file is empty');
  if (rows === 0) throw new ValidationError('CSV contains no valid message rows');
}

/** Writes `source` into the parser, respecting its backpressure; a failure of the source fails the parser. */
async function feed(source: AsyncIterable<Buffer | string>, parser: ReturnType<typeof parse>): Promise<void> {
  try {
    for await (const chunk of source) {
      if (parser.destroyed) return;
      if (!parser.write(chunk))
        await new Promise<void>((resolve) => {
          const done = () => {
            parser.off('drain', done);
            parser.off('close', done);
            resolve();
          };
          parser.once('drain', done);
          parser.once('close', done);
        });
    }
    if (!parser.destroyed) parser.end();
  } catch (err) {
    parser.destroy(err as Error);
  }
}

function asValidation(err: unknown): unknown {
  if (err instanceof ValidationError) return err;
  const csv = err as Partial<CsvError> & { lines?: number };
  if (typeof csv.code === 'string' && csv.code.startsWith('CSV_')) {
    return new ValidationError(`CSV parse error on line ${csv.lines ?? '?'}: ${csv.message}`, { cause: err });
  }
  return err;
}
