import { collectDefaultMetrics, Registry } from 'prom-client';

export { Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * prom-client's gauges named like counters, which `promtool check metrics` rejects; their
 * per-type series (`nodejs_active_handles{type}`, ...) stay, and sum to the same figure.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * How often the event-loop delay is sampled (`nodejs_eventloop_lag_*`). prom-client's default,
 * 10 ms, is a timer that wakes the process 100 times a second: about 6 ms of CPU a second per
 * idle process on the 2-vCPU VMs measured here (98 context switches a second, against 10 at
 * 100 ms). A stall of the loop still shows at 100 ms; only delays shorter than that are sampled
 * less often.
 */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 100;

/** A registry per process with Node's default metrics and a `service` label on every series. */
export function createMetricsRegistry(service: string, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) {
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS });
    for (const name of MISNAMED_DEFAULTS) registry.removeSingleMetric(name);
  }
  return registry;
}
