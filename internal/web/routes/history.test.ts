import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../errors/index.js';
import { historyQuery, parseHistoryDate } from './history.js';

describe('parseHistoryDate', () => {
  it('reads a date as UTC midnight, and a date-only until as the whole day', () => {
    expect(parseHistoryDate('2024-05-01', 'since', false)?.toISOString()).toBe('2024-05-01T00:00:00.000Z');
    expect(parseHistoryDate('2024-05-01', 'until', true)?.toISOString()).toBe('2024-05-01T23:59:59.999Z');
  });

  it("reads RFC 3339, even with the offset's + decoded to a space", () => {
    expect(parseHistoryDate('2024-05-01T10:00:00Z', 'since', false)?.toISOString()).toBe('2024-05-01T10:00:00.000Z');
    expect(parseHistoryDate('2024-05-01T10:00:00 02:00', 'since', false)?.toISOString()).toBe('2024-05-01T08:00:00.000Z');
  });

  it('refuses anything else', () => {
    for (const raw of ['2024-02-30', 'yesterday', '2024-05-01T10:00']) {
      expect(() => parseHistoryDate(raw, 'since', false), raw).toThrow(ValidationError);
    }
    expect(parseHistoryDate('', 'since', false)).toBeUndefined();
  });
});

describe('historyQuery', () => {
  it('defaults page 1 and 50 per page, caps per_page at 200', () => {
    expect(historyQuery(3, {})).toMatchObject({ clientId: 3, page: 1, perPage: 50 });
    expect(historyQuery(3, { page: '0', per_page: 'x' })).toMatchObject({ page: 1, perPage: 50 });
    expect(historyQuery(3, { page: '4', per_page: '1000' })).toMatchObject({ page: 4, perPage: 200 });
  });

  it('normalises number filters and checks type and direction', () => {
    expect(historyQuery(3, { from: ' 1 (250) 555-1234', to: 'abc' })).toMatchObject({ from: '+12505551234', to: 'abc' });
    expect(historyQuery(3, { type: 'MMS', direction: 'inbound' })).toMatchObject({ type: 'mms', direction: 'inbound' });
    expect(() => historyQuery(3, { type: 'fax' })).toThrow('Invalid type "fax": use sms or mms');
    expect(() => historyQuery(3, { from: '+1555\u00001234' })).toThrow('Invalid from filter: it holds a control character');
    expect(() => historyQuery(3, { to: 'a\nb' })).toThrow('Invalid to filter: it holds a control character');
  });
});
