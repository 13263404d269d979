import { describe, expect, it } from 'vitest';
import type { ClientNumber, NumberSettings } from '../store/index.js';
import { resolveAutoReply } from './resolve.js';

const ON = { enabled: true, defaultMessage: 'We are closed' };

function number(
  settings: Partial<NumberSettings> | null,
  ignoreStopCmdSending = false,
): Pick<ClientNumber, 'settings' | 'ignoreStopCmdSending'> {
  return {
    ignoreStopCmdSending,
    settings: settings && ({ autoReplyEnabled: false, autoReplyMessage: '', autoReplyCooldownSecs: 60, ...settings } as NumberSettings),
  };
}

describe('resolveAutoReply (upstream §13.5 step 2, router_autoreply_test.go)', () => {
  it('is off while the master switch is off', () => {
    expect(resolveAutoReply(number({ autoReplyEnabled: true, autoReplyMessage: 'hi' }), { ...ON, enabled: false })).toMatchObject({
      enabled: false,
      message: '',
      numberEnabled: true,
    });
  });

  it('is off when the number has no settings or its flag is off', () => {
    expect(resolveAutoReply(number(null), ON)).toMatchObject({ enabled: false, message: '', cooldownSecs: 60 });
    expect(resolveAutoReply(number({ autoReplyMessage: 'hi' }), ON)).toMatchObject({ enabled: false });
  });

  it("sends the number's message, else the default, and is off with neither", () => {
    expect(resolveAutoReply(number({ autoReplyEnabled: true, autoReplyMessage: 'Back at 9' }), ON)).toMatchObject({
      enabled: true,
      message: 'Back at 9',
      numberMessage: 'Back at 9',
    });
    expect(resolveAutoReply(number({ autoReplyEnabled: true }), ON)).toMatchObject({ enabled: true, message: 'We are closed' });
    expect(resolveAutoReply(number({ autoReplyEnabled: true }), { enabled: true, defaultMessage: '' })).toMatchObject({
      enabled: false,
      message: '',
    });
  });

  it("is suppressed by the number's STOP flag, while still saying what it would send", () => {
    expect(resolveAutoReply(number({ autoReplyEnabled: true }, true), ON)).toMatchObject({
      enabled: false,
      message: 'We are closed',
      suppressedByStop: true,
    });
  });

  it('uses the stored cooldown, and 60 s for 0 or less (upstream cannot switch it off)', () => {
    expect(resolveAutoReply(number({ autoReplyCooldownSecs: 300 }), ON).cooldownSecs).toBe(300);
    expect(resolveAutoReply(number({ autoReplyCooldownSecs: 0 }), ON).cooldownSecs).toBe(60);
    expect(resolveAutoReply(number({ autoReplyCooldownSecs: -5 }), ON).cooldownSecs).toBe(60);
  });
});
