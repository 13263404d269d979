import { describe, expect, it } from 'vitest';
import { errorText } from './api.js';
import { parseAssignments, withFields } from './assignments.js';
import { ApiError, describeError, UsageError } from './errors.js';

describe('errorText', () => {
  it("is the API's own error, with its detail", () => {
    expect(errorText(404, 'Not Found', '{"error":"Client not found"}')).toBe('Client not found');
    expect(
      errorText(409, 'Conflict', '{"error":"Batch job cannot be cancelled","status":"completed","detail":"Job is already \'completed\'"}'),
    ).toBe("Batch job cannot be cancelled: Job is already 'completed'");
  });

  it('prefers the message over an error code, and reads the status/message shape', () => {
    expect(errorText(429, '', '{"error":"rate_limit_exceeded","message":"SMS daily limit exceeded (5/5)"}')).toBe(
      'SMS daily limit exceeded (5/5)',
    );
    expect(errorText(403, '', '{"status":"error","message":"Legacy clients must use SMPP protocol, not REST API"}')).toBe(
      'Legacy clients must use SMPP protocol, not REST API',
    );
  });

  it('falls back to the first line of a text body, then the status', () => {
    expect(errorText(401, 'Unauthorized', 'Invalid API key\nmore')).toBe('Invalid API key');
    expect(errorText(502, 'Bad Gateway', '')).toBe('Bad Gateway');
    expect(errorText(502, '', '')).toBe('HTTP 502');
  });
});

describe('describeError', () => {
  it('gives one line and the exit code: 1 for a failed call, 2 for a wrong one', () => {
    expect(describeError(new ApiError(401, 'Invalid API key'))).toEqual({ line: 'Invalid API key (HTTP 401)', exitCode: 1 });
    expect(describeError(new UsageError('no admin API key'))).toEqual({ line: 'no admin API key', exitCode: 2 });
    expect(describeError(new Error('first\nsecond'))).toEqual({ line: 'first', exitCode: 1 });
  });
});

describe('parseAssignments', () => {
  it('reads numbers, booleans and null as JSON and the rest as text', () => {
    expect(
      parseAssignments([
        'sms_daily_limit=500',
        'limit_both=true',
        'auth_method=null',
        'default_webhook=https://x/in?a=b',
        'name=',
        'api_format=bicom',
      ]),
    ).toEqual({
      sms_daily_limit: 500,
      limit_both: true,
      auth_method: null,
      default_webhook: 'https://x/in?a=b',
      name: '',
      api_format: 'bicom',
    });
  });

  it('takes raw JSON after :=', () => {
    expect(parseAssignments(['webhook_secret:="0123"', 'scopes:=["send"]'])).toEqual({ webhook_secret: '0123', scopes: ['send'] });
    expect(() => parseAssignments(['x:={'])).toThrow(UsageError);
  });

  it('refuses what is not field=value', () => {
    expect(() => parseAssignments(['oops'])).toThrow(/not field=value/);
    expect(() => parseAssignments(['=1'])).toThrow(UsageError);
  });
});

describe('withFields', () => {
  it('puts the options given over field=value arguments, and leaves the arguments where an option was not given', () => {
    expect(withFields(['timezone=UTC', 'name=a'], { name: 'b', timezone: undefined, address: undefined })).toEqual({
      timezone: 'UTC',
      name: 'b',
    });
  });
});
