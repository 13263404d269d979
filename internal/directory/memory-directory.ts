import type { Carrier, ClientDetails, ClientNumber, Store, TenantApiKey } from '../store/index.js';
import type { ConfigChange, Directory } from './types.js';

/** Safety net for a missed cfg.changed (core NATS is at-most-once): reload everything this often. */
export const DEFAULT_FULL_RELOAD_MS = 30_000;

export interface DirectoryOptions {
  fullReloadMs?: number;
}

export interface DirectoryDeps {
  store: Store;
  logger?: { warn(obj: object, msg: string): void };
}

/**
 * Directory held in maps. Every mutation (a change or a full reload) runs in one queue, so a
 * slow full reload can never overwrite a newer change with an older snapshot.
 */
export class MemoryDirectory implements Directory {
  #clients = new Map<number, ClientDetails>();
  #clientsByUsername = new Map<string, ClientDetails>();
  #numbersById = new Map<number, ClientNumber>();
  #numbersByE164 = new Map<string, ClientNumber>();
  #carriers = new Map<number, Carrier>();
  #apiKeys = new Map<string, TenantApiKey>();
  #queue: Promise<void> = Promise.resolve();
  #timer?: NodeJS.Timeout;

  constructor(
    private readonly options: DirectoryOptions,
    private readonly deps: DirectoryDeps,
  ) {}

  async start(): Promise<void> {
    await this.reloadAll();
    const every = this.options.fullReloadMs ?? DEFAULT_FULL_RELOAD_MS;
    if (every > 0) {
      this.#timer = setInterval(() => {
        this.reloadAll().catch((err) => this.deps.logger?.warn({ err }, 'directory reload failed'));
      }, every);
      this.#timer.unref();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#queue.catch(() => undefined);
  }

  clients(): ClientDetails[] {
    return [...this.#clients.values()].sort((a, b) => a.id - b.id);
  }
  client(id: number): ClientDetails | undefined {
    return this.#clients.get(id);
  }
  clientByUsername(username: string): ClientDetails | undefined {
    return this.#clientsByUsername.get(username);
  }
  numberByE164(e164: string): ClientNumber | undefined {
    return this.#numbersByE164.get(e164);
  }
  number(id: number): ClientNumber | undefined {
    return this.#numbersById.get(id);
  }
  carriers(): Carrier[] {
    return [...this.#carriers.values()].sort((a, b) => a.id - b.id);
  }
  carrier(id: number): Carrier | undefined {
    return this.#carriers.get(id);
  }
  carrierByUuid(uuid: string): Carrier | undefined {
    return this.carriers().find((c) => c.uuid === uuid);
  }
  carrierByName(name: string): Carrier | undefined {
    return this.carriers().find((c) => c.name === name);
  }
  apiKeyByHash(keyHash: string): TenantApiKey | undefined {
    return this.#apiKeys.get(keyHash);
  }

  apply(change: ConfigChange): Promise<void> {
    return this.enqueue(async () => {
      switch (change.kind) {
        case 'client':
          return change.id === undefined ? this.loadEverything() : this.loadClient(change.id);
        case 'carrier':
          return change.id === undefined ? this.loadCarriers() : this.loadCarrier(change.id);
        case 'api_key':
          return this.loadApiKeys();
        case 'all':
          return this.loadEverything();
      }
    });
  }

  reloadAll(): Promise<void> {
    return this.enqueue(() => this.loadEverything());
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.#queue.then(task, task);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  private async loadEverything(): Promise<void> {
    const [clients] = await Promise.all([this.deps.store.clients.list(), this.loadCarriers(), this.loadApiKeys()]);
    this.#clients = new Map(clients.map((c) => [c.id, c]));
    this.reindexClients();
  }

  private async loadClient(id: number): Promise<void> {
    const client = await this.deps.store.clients.get(id);
    if (client) this.#clients.set(id, client);
    else this.#clients.delete(id);
    if (!client) {
      // Deleting a client cascades to its API keys and to failovers that named it as fallback.
      const pointing = [...this.#clients.values()].filter((c) => c.failovers.some((f) => f.fallbackClientId === id));
      for (const other of pointing) {
        const fresh = await this.deps.store.clients.get(other.id);
        if (fresh) this.#clients.set(other.id, fresh);
      }
      await this.loadApiKeys();
    }
    this.reindexClients();
  }

  private reindexClients(): void {
    this.#clientsByUsername = new Map();
    this.#numbersById = new Map();
    this.#numbersByE164 = new Map();
    for (const client of this.#clients.values()) {
      this.#clientsByUsername.set(client.username, client);
      for (const n of client.numbers) {
        this.#numbersById.set(n.id, n);
        this.#numbersByE164.set(n.number, n);
      }
    }
  }

  private async loadCarriers(): Promise<void> {
    const carriers = await this.deps.store.carriers.list();
    this.#carriers = new Map(carriers.map((c) => [c.id, c]));
  }

  private async loadCarrier(id: number): Promise<void> {
    const carrier = await this.deps.store.carriers.get(id);
    const next = new Map(this.#carriers);
    if (carrier) next.set(id, carrier);
    else next.delete(id);
    this.#carriers = next;
  }

  private async loadApiKeys(): Promise<void> {
    // Revoked keys stay (marked inactive), so their callers hear "revoked", not "unknown".
    const keys = await this.deps.store.apiKeys.listAll();
    this.#apiKeys = new Map(keys.map((k) => [k.keyHash, k]));
  }
}
