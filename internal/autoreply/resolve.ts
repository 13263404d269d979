import type { ClientNumber } from '../store/index.js';
import type { AutoReplyDefaults, AutoReplyPlan } from './types.js';

/**
 * Cooldown when a number stores none. Upstream treats 0 or less as 60 s at runtime (§3.5), so a
 * cooldown cannot be switched off; its docs said 0 disables, the code did not (§21).
 */
export const DEFAULT_AUTO_REPLY_COOLDOWN_SECS = 60;

/**
 * Upstream's resolver (§13.5 step 2, §5.7): enabled when the master switch, the number's flag and
 * a body (the number's message, else the default) are all there, and the number's STOP flag
 * (ignore_stop_cmd_sending) does not suppress it (step 3).
 */
export function resolveAutoReply(
  number: Pick<ClientNumber, 'settings' | 'ignoreStopCmdSending'>,
  defaults: AutoReplyDefaults,
): AutoReplyPlan {
  const settings = number.settings;
  const numberEnabled = settings?.autoReplyEnabled ?? false;
  const numberMessage = settings?.autoReplyMessage ?? '';
  const body = numberMessage !== '' ? numberMessage : defaults.defaultMessage;
  const resolved = defaults.enabled && numberEnabled && body !== '';
  const stored = settings?.autoReplyCooldownSecs ?? 0;
  return {
    numberEnabled,
    numberMessage,
    enabled: resolved && !number.ignoreStopCmdSending,
    message: resolved ? body : '',
    cooldownSecs: stored > 0 ? stored : DEFAULT_AUTO_REPLY_COOLDOWN_SECS,
    suppressedByStop: number.ignoreStopCmdSending,
  };
}
