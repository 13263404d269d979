/**
 * What every part of a node is built from: its configuration, subject names, store, bus,
 * directory, logger and metrics. node.ts makes one and hands it to each builder.
 */
import type { Bus } from '../../internal/bus/index.js';
import type { Config } from '../../internal/config/index.js';
import type { Directory } from '../../internal/directory/index.js';
import type { Logger } from '../../internal/log/index.js';
import type { Metrics } from '../../internal/metrics/index.js';
import type { Store } from '../../internal/store/index.js';
import type { Subjects } from '../../proto/subjects.js';

export interface NodeContext {
  config: Config;
  subjects: Subjects;
  store: Store;
  bus: Bus;
  directory: Directory;
  logger: Logger;
  metrics: Metrics;
}

export interface Stoppable {
  name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Registers a part's stop with the node, which runs the stops in reverse order. */
export type TrackStop = (name: string, stop: () => Promise<void>) => void;
