import { describe, expect, it } from 'vitest';
import { LogEvent } from './index.js';
import { captureLogger } from '../../test/support/log-capture.js';

/** Upstream §16.1's list of event names operators' dashboards and alerts match, as gomsggw spells them. */
const GOMSGGW_NAMES = [
  'AuthSuccess',
  'AuthFailedInvalidCredentials',
  'WebClientCannotUseSMPP',
  'ClosingExistingSessionForUser',
  'SessionRemoved',
  'InboundSubmitSM',
  'EmptyDecodedMessage',
  'DroppingSTOPMessagePerClientRule',
  'AckTimeout',
  'AckNonOK',
  'FailoverActivated',
  'FallbackClientOffline',
  'Message limit exceeded',
  'Invalid sender number',
  'Invalid destination number',
  'WebhookResponseError',
  'Successfully sent SMS',
  'Blocked due to STOP message',
  'TranscodeError',
  'TranscodeSuccess',
  'MM4SendSuccess',
  'Media file accessed',
  'Unknown carrier UUID',
  'InboundAttempt',
  'AutoReplySent',
  'Batch job completed',
];

describe('LogEvent', () => {
  it('holds every event name of upstream §16.1, spelled as gomsggw spells it, and its AuthFailed', () => {
    expect(Object.values(LogEvent).sort()).toEqual([...GOMSGGW_NAMES, 'AuthFailed'].sort());
  });

  it("lands as an `event` field beside pino's level and msg", () => {
    const { logger, lines } = captureLogger('info');
    logger.info({ event: LogEvent.FailoverActivated, client: 'pbx' }, 'message sent to the failover client');
    expect(lines[0]).toMatchObject({ level: 30, event: 'FailoverActivated', msg: 'message sent to the failover client', client: 'pbx' });
  });
});
