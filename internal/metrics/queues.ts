import { Gauge, type Registry } from 'prom-client';
import { scrapedGauge, type ScrapeSource } from './scrape.js';
import type { QueueSnapshot } from './types.js';

type Consumer = QueueSnapshot['consumers'][number];

/** The consumer gauges: one per figure JetStream's consumer info gives. */
const CONSUMER_GAUGES: Array<{ name: string; help: string; value: (c: Consumer) => number }> = [
  { name: 'msggw_consumer_pending', help: 'Messages a durable consumer has not yet been delivered (num_pending)', value: (c) => c.pending },
  {
    name: 'msggw_consumer_ack_pending',
    help: 'Messages delivered to a durable consumer and not yet acknowledged (num_ack_pending)',
    value: (c) => c.ackPending,
  },
  {
    name: 'msggw_consumer_redelivered',
    help: 'Unacknowledged messages delivered more than once (num_redelivered)',
    value: (c) => c.redelivered,
  },
  {
    name: 'msggw_consumer_ack_floor',
    help: 'Stream sequence at or below which a consumer has acknowledged everything; flat while pending grows is a stuck consumer',
    value: (c) => c.ackFloor,
  },
];

/**
 * The bus gauges, read from `source` on scrape: stream sizes, each durable consumer's position,
 * each client's queue and the dead letters kept. `msggw_queue_stats_up` says whether the last
 * reading worked, so a dashboard can tell an empty queue from an unreadable one.
 */
export function queueGauges(source: ScrapeSource<QueueSnapshot>, registers: Registry[]): void {
  scrapedGauge({
    name: 'msggw_stream_messages',
    help: 'Messages stored in a bus stream (for a work-queue stage: not yet acknowledged)',
    labelNames: ['stream'],
    registers,
    source,
    values: (q) => q.streams.map((s) => ({ labels: { stream: s.stream }, value: s.messages })),
  });
  for (const g of CONSUMER_GAUGES) {
    scrapedGauge({
      name: g.name,
      help: g.help,
      labelNames: ['stream', 'consumer'],
      registers,
      source,
      values: (q) => q.consumers.map((c) => ({ labels: { stream: c.stream, consumer: c.consumer }, value: g.value(c) })),
    });
  }
  scrapedGauge({
    name: 'msggw_client_queue_messages',
    help: 'Messages waiting for a client, by egress (smpp, mm4, webhook) and client username',
    labelNames: ['protocol', 'client'],
    registers,
    source,
    values: (q) => q.clients.map((c) => ({ labels: { protocol: c.protocol, client: c.client }, value: c.messages })),
  });
  scrapedGauge({
    name: 'msggw_dead_letters_stored',
    help: 'Dead letters kept for an operator to list and replay, by the stage that gave them up',
    labelNames: ['stream'],
    registers,
    source,
    values: (q) => q.deadLetters.map((d) => ({ labels: { stream: d.stream }, value: d.messages })),
  });
  new Gauge({
    name: 'msggw_queue_stats_up',
    help: '1 when the last read of the bus queues worked, 0 when it failed or the bus is not up yet (the queue gauges are then absent)',
    registers,
    async collect() {
      this.set((await source.read()) === undefined ? 0 : 1);
    },
  });
}
