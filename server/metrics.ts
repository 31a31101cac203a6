import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** Prometheus metrics of one server instance (own registry: no global state between instances). */
export interface Metrics {
  readonly registry: Registry;
  readonly lockOps: Counter<"op" | "result">;
  readonly httpDuration: Histogram<"method" | "route" | "status">;
  readonly saves: Counter;
  readonly wsConnections: Gauge;
  readonly wsMessages: Counter<"direction">;
  readonly lockExpiries: Counter;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  return {
    registry,
    lockOps: new Counter({
      name: "lockstep_lock_operations_total",
      help: "Lock operations by operation and result (ok or the error code)",
      labelNames: ["op", "result"],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: "lockstep_http_request_duration_seconds",
      help: "HTTP request latency by method, route pattern and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    saves: new Counter({ name: "lockstep_document_saves_total", help: "Accepted fenced saves", registers: [registry] }),
    wsConnections: new Gauge({
      name: "lockstep_ws_connections",
      help: "Open WebSocket connections on this process",
      registers: [registry],
    }),
    wsMessages: new Counter({
      name: "lockstep_ws_messages_total",
      help: "WebSocket messages by direction (in, out)",
      labelNames: ["direction"],
      registers: [registry],
    }),
    lockExpiries: new Counter({
      name: "lockstep_lock_expiries_total",
      help: "Locks that ran out without release, announced by this process",
      registers: [registry],
    }),
  };
}
