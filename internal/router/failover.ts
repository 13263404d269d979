import type { Egress } from '../../proto/message.js';
import type { ReceiverLookup } from '../cluster/index.js';
import { LogEvent, type Logger } from '../log/index.js';
import type { ClientDetails } from '../store/index.js';

/** Where an SMPP message goes, given who can receive now (chooseReceiver). */
export type ReceiverChoice =
  | { kind: 'primary' }
  | { kind: 'fallback'; clientId: number }
  /** Neither the client nor any failover can receive: it waits in the client's own queue. */
  | { kind: 'none' };

/** The enabled failovers of a client in the order they are tried: priority, then creation. */
export function failoverOrder(client: ClientDetails): number[] {
  return client.failovers
    .filter((f) => f.enabled && f.fallbackClientId !== client.id)
    .sort((a, b) => a.priority - b.priority || a.id - b.id)
    .map((f) => f.fallbackClientId);
}

/**
 * Upstream §7.3: the client itself when it has a receiving bind, else the first of its enabled
 * failovers (lowest priority first) that has one. A fallback that no longer exists or is a web
 * client is skipped. Pure: `receiving` is one snapshot of the cluster's receiving binds, so every
 * node reading the same snapshot decides the same.
 */
export function chooseReceiver(
  primary: ClientDetails,
  receiving: ReadonlySet<number>,
  client: (id: number) => ClientDetails | undefined,
): ReceiverChoice {
  if (receiving.has(primary.id)) return { kind: 'primary' };
  for (const id of failoverOrder(primary)) {
    const fallback = client(id);
    if (fallback && fallback.type !== 'web' && receiving.has(id)) return { kind: 'fallback', clientId: id };
  }
  return { kind: 'none' };
}

export interface FailoverRoutingDeps {
  receivers: ReceiverLookup;
  client(id: number): ClientDetails | undefined;
  logger: Logger;
}

/**
 * Sends a message for an SMPP client that has no receiving bind anywhere in the cluster to the
 * first failover client that has one, at routing time. Clients without enabled failovers cost
 * nothing (no KV read). When the registry cannot be read, the message stays with its client
 * (it waits in that queue: nothing is lost).
 */
export class FailoverRouting {
  constructor(private readonly deps: FailoverRoutingDeps) {}

  /** The egress to publish: `egress` itself, or a copy addressed to a failover client. */
  async apply(egress: Egress): Promise<Egress> {
    const { route } = egress;
    if (route.kind !== 'smpp' || egress.failoverFrom !== undefined) return egress;
    const choice = await this.choose(route.clientId);
    const primary = this.deps.client(route.clientId);
    if (choice.kind === 'primary' || !primary) return egress;
    if (choice.kind === 'none') {
      this.deps.logger.debug(
        { event: LogEvent.FallbackClientOffline, id: egress.message.id, client: primary.username },
        'FallbackClientOffline: no receiving SMPP bind for the client or its failovers; the message waits',
      );
      return egress;
    }
    const fallback = this.deps.client(choice.clientId);
    this.deps.logger.info(
      {
        event: LogEvent.FailoverActivated,
        id: egress.message.id,
        client: primary.username,
        primaryClientId: primary.id,
        fallback: fallback?.username,
        fallbackClientId: choice.clientId,
      },
      'FailoverActivated: the client has no receiving SMPP bind; delivering to its failover client',
    );
    return { ...egress, route: { kind: 'smpp', clientId: choice.clientId }, receiverClientId: choice.clientId, failoverFrom: primary.id };
  }

  /**
   * Who should receive an SMPP message for `clientId` now. 'primary' also for a client without
   * enabled failovers (nothing is read) and when the registry cannot be read.
   */
  async choose(clientId: number): Promise<ReceiverChoice> {
    const primary = this.deps.client(clientId);
    const candidates = primary ? failoverOrder(primary) : [];
    if (!primary || candidates.length === 0) return { kind: 'primary' };
    try {
      return chooseReceiver(primary, await this.snapshot([primary.id, ...candidates]), this.deps.client);
    } catch (err) {
      this.deps.logger.warn({ err, client: primary.username }, 'cannot read the SMPP receivers; messages stay with their client');
      return { kind: 'primary' };
    }
  }

  /** The clients among `ids` with a receiving bind on some node, read at once. */
  private async snapshot(ids: number[]): Promise<Set<number>> {
    const nodes = await Promise.all(ids.map((id) => this.deps.receivers.receiverNodes(id)));
    return new Set(ids.filter((_, i) => nodes[i]!.length > 0));
  }
}
