import { describe, expect, it } from 'vitest';
import { complianceKeyword } from './keywords.js';

describe('complianceKeyword', () => {
  it.each(['STOP', 'stop', ' Stop. ', 'STOP!', 'StopAll', 'UNSUBSCRIBE', 'cancel', 'End', 'QUIT', 'optout', 'revoke', '"stop"'])(
    'reads %j as STOP',
    (text) => expect(complianceKeyword(text)).toBe('stop'),
  );

  it.each(['START', 'unstop', 'Yes'])('reads %j as START', (text) => expect(complianceKeyword(text)).toBe('start'));
  it.each(['HELP', 'help?', 'Info'])('reads %j as HELP', (text) => expect(complianceKeyword(text)).toBe('help'));

  it.each(['', 'please stop', 'stop it', 'STOPPED', 'Reply STOP to end messages.', 'help me', 's t o p', 'stop\nnow'])(
    'reads %j as an ordinary message',
    (text) => expect(complianceKeyword(text)).toBeUndefined(),
  );
});
