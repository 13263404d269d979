/** Fixtures for quota tests: clients and numbers with limits, and a view over them. */
import type { ClientDetails, ClientNumber, ClientSettings, Limits, NumberSettings } from '../../internal/store/index.js';
import type { QuotaView } from '../../internal/quota/types.js';

export const NO_LIMITS: Limits = {
  smsBurstLimit: 0,
  smsDailyLimit: 0,
  smsMonthlyLimit: 0,
  mmsBurstLimit: 0,
  mmsDailyLimit: 0,
  mmsMonthlyLimit: 0,
  limitBoth: false,
};

const epoch = new Date(0);

export interface NumberFixture {
  number: string;
  limits?: Partial<Limits>;
  tag?: string;
  group?: string;
}

function numberOf(clientId: number, n: NumberFixture, index: number): ClientNumber {
  const id = clientId * 100 + index;
  const settings = n.limits
    ? ({
        id,
        numberId: id,
        autoReplyEnabled: false,
        autoReplyMessage: '',
        autoReplyCooldownSecs: 60,
        ...NO_LIMITS,
        ...n.limits,
      } as NumberSettings)
    : null;
  return {
    id,
    clientId,
    number: n.number,
    carrier: 'telnyx',
    tag: n.tag ?? '',
    group: n.group ?? '',
    webhook: '',
    ignoreStopCmdSending: false,
    settings,
  };
}

/** A web client with client-level `limits` (none when omitted) and its numbers. */
export function quotaClient(
  id: number,
  opts: { timezone?: string; limits?: Partial<Limits>; numbers?: NumberFixture[] } = {},
): ClientDetails {
  const settings = opts.limits ? ({ id, clientId: id, ...NO_LIMITS, ...opts.limits } as ClientSettings) : null;
  return {
    id,
    username: `client${id}`,
    password: 'p',
    address: '',
    name: '',
    type: 'web',
    timezone: opts.timezone ?? 'UTC',
    logPrivacy: false,
    createdAt: epoch,
    updatedAt: epoch,
    failovers: [],
    settings,
    numbers: (opts.numbers ?? []).map((n, i) => numberOf(id, n, i)),
  };
}

/** A view whose clients can be swapped while a test runs (settings changed by an admin). */
export function mutableView(...clients: ClientDetails[]): QuotaView & { set(client: ClientDetails): void } {
  const byId = new Map(clients.map((c) => [c.id, c]));
  return { client: (id) => byId.get(id), set: (c) => void byId.set(c.id, c) };
}
