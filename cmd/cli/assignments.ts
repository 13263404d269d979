/**
 * `field=value` arguments for the routes that take any of an object's fields (settings,
 * carriers). `=` reads numbers, true, false and null as JSON and anything else as text;
 * `field:=json` takes raw JSON (a number-looking text: `secret:='"123"'`).
 */
import { UsageError } from './errors.js';

const AUTO = /^(-?\d+(\.\d+)?|true|false|null)$/;

export function parseAssignments(items: string[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const item of items) {
    const raw = item.match(/^([A-Za-z_][A-Za-z0-9_]*)(:?=)(.*)$/s);
    if (!raw) throw new UsageError(`"${item}" is not field=value`);
    const [, key, op, value] = raw;
    body[key] = op === ':=' ? parseJson(key, value) : AUTO.test(value) ? JSON.parse(value) : value;
  }
  return body;
}

function parseJson(key: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new UsageError(`${key}:= takes JSON, got ${value}`);
  }
}

/** Commander collects a repeated option into a list with this. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `field=value` arguments with the options' fields over them; an option not given leaves the argument's value. */
export function withFields(fields: string[], options: Record<string, unknown>): Record<string, unknown> {
  const given = Object.entries(options).filter(([, value]) => value !== undefined);
  return { ...parseAssignments(fields), ...Object.fromEntries(given) };
}
