/** Prometheus metrics of one logic instance (its own registry, so several can share a process). */
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';

export interface LogicMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'status'>;
  pushMessages: Counter<'type'>;
  connects: Counter<'result'>;
  sessionErrors: Counter<'op'>;
  received: Counter;
}

/** Creates the metric set; `defaults` adds process metrics (main.ts only). */
export function createLogicMetrics(defaults = false): LogicMetrics {
  const registry = new Registry();
  if (defaults) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'goim_logic_http_requests_total',
      help: 'HTTP API requests by route and HTTP status',
      labelNames: ['route', 'status'],
      registers,
    }),
    pushMessages: new Counter({
      name: 'goim_logic_push_messages_total',
      help: 'PushMsg messages accepted by the queue, by type (push, room, broadcast)',
      labelNames: ['type'],
      registers,
    }),
    connects: new Counter({
      name: 'goim_logic_connects_total',
      help: 'Connect calls by result (ok, refused, error)',
      labelNames: ['result'],
      registers,
    }),
    sessionErrors: new Counter({
      name: 'goim_logic_session_errors_total',
      help: 'Session store failures that did not fail the call (goim-compatible), by operation',
      labelNames: ['op'],
      registers,
    }),
    received: new Counter({ name: 'goim_logic_received_total', help: 'Upstream messages handed to the receive sink', registers }),
  };
}
