/**
 * Prometheus metrics of one job (own Registry, never the global one, so several jobs can
 * live in one process, as in apps/standalone and the specs).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type MessageType = 'push' | 'room' | 'broadcast' | 'unknown';

export interface JobMetrics {
  registry: Registry;
  /** Queue messages handed to the job. */
  consumed: Counter<'type'>;
  /** Queue messages acknowledged after every target comet accepted them. */
  delivered: Counter<'type'>;
  /** Comet RPC retries. */
  retried: Counter<'method'>;
  /** Messages (or one comet's share of them) given up with a reason; never silent. */
  undeliverable: Counter<'type' | 'reason'>;
  /** Messages left unacknowledged for the queue to redeliver. */
  redelivery: Counter<'type'>;
  /** Targets skipped on purpose (another zone with job.zoneOnly, no comet at all). */
  skipped: Counter<'type' | 'reason'>;
  /** Frames per BroadcastRoom batch. */
  batchSize: Histogram;
  rooms: Gauge;
  pendingRoomMessages: Gauge;
  comets: Gauge;
  lag: Gauge;
}

export function createJobMetrics(sources: {
  rooms: () => number;
  pendingRoomMessages: () => number;
  comets: () => number;
  lag?: () => number | undefined | Promise<number | undefined>;
}): JobMetrics {
  const registry = new Registry();
  const registers = [registry];
  const lag = sources.lag;
  return {
    registry,
    consumed: new Counter({ name: 'goim_job_consumed_total', help: 'Queue messages handed to the job', labelNames: ['type'], registers }),
    delivered: new Counter({
      name: 'goim_job_delivered_total',
      help: 'Queue messages acknowledged after every target comet accepted them',
      labelNames: ['type'],
      registers,
    }),
    retried: new Counter({ name: 'goim_job_retried_total', help: 'Comet RPC retries', labelNames: ['method'], registers }),
    undeliverable: new Counter({
      name: 'goim_job_undeliverable_total',
      help: 'Messages (or one comet share) given up, by reason',
      labelNames: ['type', 'reason'],
      registers,
    }),
    redelivery: new Counter({
      name: 'goim_job_redelivery_total',
      help: 'Messages left unacknowledged for the queue to redeliver',
      labelNames: ['type'],
      registers,
    }),
    skipped: new Counter({
      name: 'goim_job_skipped_total',
      help: 'Targets skipped on purpose (other zone, no comets)',
      labelNames: ['type', 'reason'],
      registers,
    }),
    batchSize: new Histogram({
      name: 'goim_job_room_batch_size',
      help: 'Frames per BroadcastRoom batch',
      buckets: [1, 2, 5, 10, 15, 20, 50, 100],
      registers,
    }),
    rooms: new Gauge({
      name: 'goim_job_rooms',
      help: 'Rooms with a live batcher',
      registers,
      collect() {
        this.set(sources.rooms());
      },
    }),
    pendingRoomMessages: new Gauge({
      name: 'goim_job_room_pending_messages',
      help: 'Room messages collecting, in flight or waiting for room in their batcher',
      registers,
      collect() {
        this.set(sources.pendingRoomMessages());
      },
    }),
    comets: new Gauge({
      name: 'goim_job_comets',
      help: 'Comets the job delivers to',
      registers,
      collect() {
        this.set(sources.comets());
      },
    }),
    lag: new Gauge({
      name: 'goim_job_consumer_lag',
      help: 'Messages behind the head of the queue (when the consumer reports it)',
      registers,
      async collect() {
        if (!lag) return;
        const v = await lag();
        if (v !== undefined) this.set(v);
      },
    }),
  };
}
