import type { ConfigChange, ConfigChanges, Directory } from './types.js';

/**
 * ConfigChanges for a node alone (and for tests): the change is applied to this node's
 * directory only. internal/cluster adds the broadcast to the other nodes.
 */
export class LocalConfigChanges implements ConfigChanges {
  constructor(
    private readonly directory: Directory,
    private readonly nodeId = 'local',
  ) {}

  async announce(change: Omit<ConfigChange, 'v' | 'origin' | 'at'>): Promise<ConfigChange> {
    const full: ConfigChange = { v: 1, ...change, origin: this.nodeId, at: Date.now() };
    await this.directory.apply(full);
    return full;
  }
}
