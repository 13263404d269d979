import { describe, expect, it } from 'vitest';
import {
  burstWindow,
  dayWindow,
  formatInZone,
  instantAtWall,
  monthWindow,
  PeriodCalendar,
  resolveZone,
  type PeriodWindow,
} from './periods.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number): string => new Date(ms).toISOString();
const hours = (w: PeriodWindow): number => (w.endMs - w.startMs) / 3_600_000;

describe('dayWindow', () => {
  it('runs from local midnight to local midnight in America/New_York', () => {
    const w = dayWindow(at('2024-01-15T12:00:00Z'), 'America/New_York');
    expect(w.id).toBe('d20240115');
    expect(iso(w.startMs)).toBe('2024-01-15T05:00:00.000Z');
    expect(iso(w.endMs)).toBe('2024-01-16T05:00:00.000Z');
  });

  it('rolls over at local midnight and not a millisecond before', () => {
    expect(dayWindow(at('2024-01-16T04:59:59.999Z'), 'America/New_York').id).toBe('d20240115');
    expect(dayWindow(at('2024-01-16T05:00:00.000Z'), 'America/New_York').id).toBe('d20240116');
  });

  it('uses the half-hour offset of Asia/Kolkata', () => {
    const w = dayWindow(at('2024-06-01T00:00:00Z'), 'Asia/Kolkata');
    expect(w.id).toBe('d20240601');
    expect(iso(w.startMs)).toBe('2024-05-31T18:30:00.000Z');
    expect(hours(w)).toBe(24);
    expect(dayWindow(at('2024-05-31T18:29:59Z'), 'Asia/Kolkata').id).toBe('d20240531');
  });

  it('lasts 23 hours on the spring DST day and 25 on the autumn one (America/New_York)', () => {
    const spring = dayWindow(at('2024-03-10T12:00:00Z'), 'America/New_York');
    expect(iso(spring.startMs)).toBe('2024-03-10T05:00:00.000Z');
    expect(iso(spring.endMs)).toBe('2024-03-11T04:00:00.000Z');
    expect(hours(spring)).toBe(23);
    const autumn = dayWindow(at('2024-11-03T12:00:00Z'), 'America/New_York');
    expect(iso(autumn.startMs)).toBe('2024-11-03T04:00:00.000Z');
    expect(iso(autumn.endMs)).toBe('2024-11-04T05:00:00.000Z');
    expect(hours(autumn)).toBe(25);
  });

  it('stays in the same day through the repeated hour of the autumn change', () => {
    // 01:30 EDT and 01:30 EST are both 3 November.
    expect(dayWindow(at('2024-11-03T05:30:00Z'), 'America/New_York').id).toBe('d20241103');
    expect(dayWindow(at('2024-11-03T06:30:00Z'), 'America/New_York').id).toBe('d20241103');
  });

  it('handles the half-hour DST shift of Australia/Lord_Howe (23.5 h and 24.5 h days)', () => {
    const spring = dayWindow(at('2024-10-06T05:00:00Z'), 'Australia/Lord_Howe');
    expect(spring.id).toBe('d20241006');
    expect(iso(spring.startMs)).toBe('2024-10-05T13:30:00.000Z');
    expect(iso(spring.endMs)).toBe('2024-10-06T13:00:00.000Z');
    expect(hours(spring)).toBe(23.5);
    const autumn = dayWindow(at('2024-04-07T05:00:00Z'), 'Australia/Lord_Howe');
    expect(iso(autumn.startMs)).toBe('2024-04-06T13:00:00.000Z');
    expect(iso(autumn.endMs)).toBe('2024-04-07T13:30:00.000Z');
    expect(hours(autumn)).toBe(24.5);
  });

  it('starts a day whose midnight is skipped at the end of the gap (America/Santiago)', () => {
    // 8 Sep 2024: clocks jump from 00:00 to 01:00 (-04 → -03); the day starts at 01:00 local.
    const w = dayWindow(at('2024-09-08T12:00:00Z'), 'America/Santiago');
    expect(iso(w.startMs)).toBe('2024-09-08T04:00:00.000Z');
    expect(formatInZone(w.startMs, 'America/Santiago')).toBe('2024-09-08T01:00:00-03:00');
    expect(dayWindow(at('2024-09-08T03:59:59Z'), 'America/Santiago').id).toBe('d20240907');
  });

  it('gives a day whose midnight falls back a 25-hour length (America/Santiago)', () => {
    // 7 Apr 2024 00:00 -03 becomes 6 Apr 23:00 -04: 6 April has 25 hours.
    const w = dayWindow(at('2024-04-06T12:00:00Z'), 'America/Santiago');
    expect(iso(w.startMs)).toBe('2024-04-06T03:00:00.000Z');
    expect(iso(w.endMs)).toBe('2024-04-07T04:00:00.000Z');
  });

  it('ends a leap day on 1 March and 28 February on 1 March otherwise', () => {
    const leap = dayWindow(at('2024-02-29T12:00:00Z'), 'UTC');
    expect(leap.id).toBe('d20240229');
    expect(iso(leap.endMs)).toBe('2024-03-01T00:00:00.000Z');
    expect(dayWindow(at('2024-02-28T23:59:59Z'), 'UTC').id).toBe('d20240228');
    expect(iso(dayWindow(at('2023-02-28T12:00:00Z'), 'UTC').endMs)).toBe('2023-03-01T00:00:00.000Z');
  });

  it('crosses month and year ends', () => {
    expect(iso(dayWindow(at('2024-01-31T12:00:00Z'), 'UTC').endMs)).toBe('2024-02-01T00:00:00.000Z');
    const nye = dayWindow(at('2024-12-31T20:00:00Z'), 'America/New_York');
    expect(nye.id).toBe('d20241231');
    expect(iso(nye.endMs)).toBe('2025-01-01T05:00:00.000Z');
  });
});

describe('monthWindow', () => {
  it('runs from local midnight on the 1st to the next 1st, DST included', () => {
    const march = monthWindow(at('2024-03-15T12:00:00Z'), 'America/New_York');
    expect(march.id).toBe('m202403');
    expect(iso(march.startMs)).toBe('2024-03-01T05:00:00.000Z');
    expect(iso(march.endMs)).toBe('2024-04-01T04:00:00.000Z');
  });

  it('counts February as 29 days in a leap year and 28 otherwise', () => {
    expect(hours(monthWindow(at('2024-02-10T00:00:00Z'), 'UTC'))).toBe(29 * 24);
    expect(hours(monthWindow(at('2023-02-10T00:00:00Z'), 'UTC'))).toBe(28 * 24);
  });

  it('belongs to the local month, not the UTC one', () => {
    // 1 Feb 02:00 UTC is still 31 January in New York.
    expect(monthWindow(at('2024-02-01T02:00:00Z'), 'America/New_York').id).toBe('m202401');
    expect(monthWindow(at('2024-01-31T19:00:00Z'), 'Asia/Kolkata').id).toBe('m202402');
  });

  it('rolls over at the year end', () => {
    const dec = monthWindow(at('2024-12-31T23:00:00Z'), 'UTC');
    expect(dec.id).toBe('m202412');
    expect(iso(dec.endMs)).toBe('2025-01-01T00:00:00.000Z');
  });
});

describe('burstWindow', () => {
  it('is the clock-aligned minute', () => {
    const w = burstWindow(at('2024-03-10T12:34:56.789Z'));
    expect(iso(w.startMs)).toBe('2024-03-10T12:34:00.000Z');
    expect(iso(w.endMs)).toBe('2024-03-10T12:35:00.000Z');
    expect(burstWindow(at('2024-03-10T12:34:00Z')).id).toBe(w.id);
    expect(burstWindow(at('2024-03-10T12:35:00Z')).id).not.toBe(w.id);
  });
});

describe('resolveZone', () => {
  it('keeps a known zone and falls back to UTC for an empty or unknown one', () => {
    expect(resolveZone('America/Vancouver')).toBe('America/Vancouver');
    expect(resolveZone('')).toBe('UTC');
    expect(resolveZone('Mars/Olympus_Mons')).toBe('UTC');
  });
});

describe('instantAtWall', () => {
  it('gives the first occurrence of an ambiguous wall time', () => {
    expect(iso(instantAtWall(Date.UTC(2024, 10, 3, 1, 30), 'America/New_York'))).toBe('2024-11-03T05:30:00.000Z');
  });

  it('gives the end of the gap for a skipped wall time', () => {
    expect(iso(instantAtWall(Date.UTC(2024, 2, 10, 2, 30), 'America/New_York'))).toBe('2024-03-10T07:00:00.000Z');
  });
});

describe('formatInZone', () => {
  it('prints RFC 3339 with the zone offset', () => {
    expect(formatInZone(at('2024-03-11T04:00:00Z'), 'America/New_York')).toBe('2024-03-11T00:00:00-04:00');
    expect(formatInZone(at('2024-06-01T18:30:00Z'), 'Asia/Kolkata')).toBe('2024-06-02T00:00:00+05:30');
    expect(formatInZone(at('2024-06-01T18:30:00.250Z'), 'UTC')).toBe('2024-06-01T18:30:00Z');
  });
});

describe('PeriodCalendar', () => {
  it('recomputes the day and month when the day rolls over', () => {
    const calendar = new PeriodCalendar();
    const before = calendar.windows(at('2024-03-31T23:59:59Z'), 'UTC');
    const after = calendar.windows(at('2024-04-01T00:00:00Z'), 'UTC');
    expect([before.daily.id, before.monthly.id]).toEqual(['d20240331', 'm202403']);
    expect([after.daily.id, after.monthly.id]).toEqual(['d20240401', 'm202404']);
    expect(calendar.windows(at('2024-03-31T12:00:00Z'), 'UTC').daily.id).toBe('d20240331');
  });
});
