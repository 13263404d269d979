/**
 * Quota period arithmetic: calendar days and months in a client's IANA time zone, and the
 * one-minute burst window. Pure functions over epoch milliseconds, built on Intl alone (no date
 * library: Node 20 ships full ICU, and the only question ever asked is "what is the local wall
 * time at instant t", which Intl.DateTimeFormat answers, DST included).
 *
 * A day is [local 00:00, next local 00:00); on a DST-change day it lasts 23 or 25 hours (23.5 or
 * 24.5 on Lord Howe Island). A month is [local 00:00 on the 1st, local 00:00 on the next 1st).
 * Where a zone skips midnight itself (clocks jump 00:00 → 01:00, as in America/Santiago or
 * America/Havana), the day starts at the first instant after the gap.
 */

export const Period = { BURST: 'burst', DAILY: 'daily', MONTHLY: 'monthly' } as const;
export type Period = (typeof Period)[keyof typeof Period];
/** Upstream checks periods in this order and reports the first one exceeded (§12.4). */
export const PERIODS: readonly Period[] = [Period.BURST, Period.DAILY, Period.MONTHLY];

/** The burst window: upstream's "last 60 s" (§12.3), here a clock-aligned minute. */
export const BURST_WINDOW_MS = 60_000;
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/** One period instance: its key (stable name of this day/month/minute) and its bounds. */
export interface PeriodWindow {
  period: Period;
  /** `b<minute index>`, `d20240310`, `m202403`: part of the counter key. */
  id: string;
  /** First instant of the period, ms since the epoch. */
  startMs: number;
  /** First instant of the next period (exclusive end), ms since the epoch. */
  endMs: number;
}

/** A local calendar date (month 1-12). */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/**
 * The zone to compute periods in: `zone` when Intl knows it, else UTC (upstream §3.2: an invalid
 * or empty timezone silently means UTC).
 */
export function resolveZone(zone: string): string {
  let resolved = resolvedZones.get(zone);
  if (resolved === undefined) {
    resolved = zoneOrUtc(zone.trim());
    // Bounded by the distinct timezone strings clients store.
    resolvedZones.set(zone, resolved);
  }
  return resolved;
}

const resolvedZones = new Map<string, string>();

function zoneOrUtc(name: string): string {
  if (name === '') return 'UTC';
  try {
    return formatter(name).resolvedOptions().timeZone;
  } catch {
    return 'UTC';
  }
}

/**
 * The local wall-clock time at instant `t` in `zone`, encoded as if it were a UTC instant
 * (so Date.UTC arithmetic applies). Second precision: zone offsets are whole seconds.
 */
export function wallTime(t: number, zone: string): number {
  const parts = formatter(zone).formatToParts(new Date(t));
  const get = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
}

/** Local minus UTC at instant `t`, in ms (e.g. -4 h in New York in summer). */
export function offsetAt(t: number, zone: string): number {
  const whole = t - (((t % 1000) + 1000) % 1000);
  return wallTime(whole, zone) - whole;
}

/** The local calendar date at instant `t`. */
export function localDate(t: number, zone: string): LocalDate {
  const wall = new Date(wallTime(t, zone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

/**
 * The first instant at which the local wall clock in `zone` reads `wall` (encoded as UTC, see
 * wallTime) or later. An ambiguous wall time (autumn fall-back) gives its first occurrence; a
 * skipped one (spring gap) gives the end of the gap.
 */
export function instantAtWall(wall: number, zone: string): number {
  // At most one offset change lies within a day of any wall time, so these offsets cover it.
  const offsets = new Set([offsetAt(wall - DAY_MS, zone), offsetAt(wall, zone), offsetAt(wall + DAY_MS, zone)]);
  const exact = [...offsets].map((o) => wall - o).filter((t) => wallTime(t, zone) === wall);
  if (exact.length > 0) return Math.min(...exact);
  return gapEnd(wall, zone, offsets);
}

/**
 * `wall` falls in a gap: the clock jumped over it. Searches, by the minute, the first instant
 * whose wall time is at or after `wall` between the two readings of it (offsets change on
 * whole minutes; the gap is at most a couple of hours).
 */
function gapEnd(wall: number, zone: string, offsets: Set<number>): number {
  const candidates = [...offsets].map((o) => wall - o);
  let lo = Math.min(...candidates);
  let hi = Math.max(...candidates);
  lo -= lo % MINUTE_MS;
  while (hi - lo > MINUTE_MS) {
    const mid = lo + Math.floor((hi - lo) / (2 * MINUTE_MS)) * MINUTE_MS;
    if (wallTime(mid, zone) >= wall) hi = mid;
    else lo = mid;
  }
  return wallTime(lo, zone) >= wall ? lo : hi;
}

/** The instant local day `date` begins in `zone` (its midnight, or the end of a midnight gap). */
export function startOfLocalDay(date: LocalDate, zone: string): number {
  return instantAtWall(Date.UTC(date.year, date.month - 1, date.day), zone);
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** The local day containing `t`. */
export function dayWindow(t: number, zone: string): PeriodWindow {
  const date = localDate(t, zone);
  // Date.UTC normalises day 32 to the 1st of the next month, Feb 29 + 1 to Mar 1, and so on.
  const next = new Date(Date.UTC(date.year, date.month - 1, date.day + 1));
  return {
    period: Period.DAILY,
    id: `d${date.year}${pad(date.month)}${pad(date.day)}`,
    startMs: startOfLocalDay(date, zone),
    endMs: startOfLocalDay({ year: next.getUTCFullYear(), month: next.getUTCMonth() + 1, day: next.getUTCDate() }, zone),
  };
}

/** The local calendar month containing `t`. */
export function monthWindow(t: number, zone: string): PeriodWindow {
  const { year, month } = localDate(t, zone);
  const nextYear = month === 12 ? year + 1 : year;
  const nextMonth = month === 12 ? 1 : month + 1;
  return {
    period: Period.MONTHLY,
    id: `m${year}${pad(month)}`,
    startMs: startOfLocalDay({ year, month, day: 1 }, zone),
    endMs: startOfLocalDay({ year: nextYear, month: nextMonth, day: 1 }, zone),
  };
}

/** The clock-aligned minute containing `t` (time zones never shift minute boundaries). */
export function burstWindow(t: number): PeriodWindow {
  const index = Math.floor(t / BURST_WINDOW_MS);
  return { period: Period.BURST, id: `b${index}`, startMs: index * BURST_WINDOW_MS, endMs: (index + 1) * BURST_WINDOW_MS };
}

/** The three windows containing `t`, in PERIODS order. */
export type PeriodWindows = Record<Period, PeriodWindow>;

/**
 * Remembers the day and month windows last computed per zone, so the hot path (one admit per
 * message) formats one date only when a period rolls over, not several per call.
 */
export class PeriodCalendar {
  readonly #cache = new Map<string, { day: PeriodWindow; month: PeriodWindow }>();

  windows(t: number, zone: string): PeriodWindows {
    let entry = this.#cache.get(zone);
    if (!entry || t < entry.day.startMs || t >= entry.day.endMs) {
      entry = { day: dayWindow(t, zone), month: monthWindow(t, zone) };
      this.#cache.set(zone, entry);
    }
    return { burst: burstWindow(t), daily: entry.day, monthly: entry.month };
  }
}

/**
 * RFC 3339 with the zone's offset at `t` (`2024-03-11T00:00:00-07:00`), as Go's
 * time.Format(time.RFC3339) printed times in the client's location.
 */
export function formatInZone(t: number, zone: string): string {
  const offset = offsetAt(t, zone);
  const wall = new Date(t - (((t % 1000) + 1000) % 1000) + offset).toISOString().slice(0, 19);
  if (offset === 0) return `${wall}Z`;
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.round(Math.abs(offset) / MINUTE_MS);
  return `${wall}${sign}${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}`;
}
