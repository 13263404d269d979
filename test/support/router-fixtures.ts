/** Fixtures for the router room's tests: clients, carriers, a routing view and messages. */
import type { Message } from '../../proto/message.js';
import type { Carrier, ClientDetails, ClientNumber } from '../../internal/store/index.js';
import type { RoutingView } from '../../internal/router/decide.js';

const now = new Date(0);
export function client(
  id: number,
  type: 'legacy' | 'web',
  numbers: Array<Partial<ClientNumber> & { number: string }>,
  defaultWebhook = '',
): ClientDetails {
  return {
    id,
    username: `c${id}`,
    password: 'p',
    address: '',
    name: '',
    type,
    timezone: 'UTC',
    logPrivacy: false,
    createdAt: now,
    updatedAt: now,
    failovers: [],
    settings: defaultWebhook ? ({ defaultWebhook } as ClientDetails['settings']) : null,
    numbers: numbers.map((n, i) => ({
      id: id * 100 + i,
      clientId: id,
      carrier: 'telnyx',
      tag: '',
      group: '',
      webhook: '',
      ignoreStopCmdSending: false,
      settings: null,
      ...n,
    })),
  };
}
export const carrier = (id: number, name: string, type: string): Carrier => ({ id, name, type, uuid: `u${id}` }) as Carrier;

export function view(clients: ClientDetails[], carriers: Carrier[]): RoutingView {
  const numbers = new Map(clients.flatMap((c) => c.numbers.map((n) => [n.number, n] as const)));
  return {
    numberByE164: (n) => numbers.get(n),
    client: (id) => clients.find((c) => c.id === id),
    carrierByName: (name) => carriers.find((c) => c.name === name),
    carriers: () => carriers,
  };
}

export function msg(partial: Partial<Message> & Pick<Message, 'from' | 'to'>): Message {
  return {
    v: 1,
    id: 'm1',
    type: 'sms',
    text: 'hi',
    media: [],
    receivedAt: 0,
    notice: false,
    origin: { kind: 'web', clientId: 1, node: 'n' },
    ...partial,
  };
}
