/**
 * The SDK runtime for Steadfast's processes (CLI, demo, workers, scripts): one logger whose level
 * comes from STEADFAST_LOG_LEVEL (TRACE, DEBUG, INFO, WARN, ERROR; default given by the caller),
 * and, when STEADFAST_METRICS_PORT is set, the SDK's own Prometheus endpoint (worker and client
 * metrics from the SDK's core, e.g. `temporal_activity_execution_failed`) at `/metrics`.
 */
import { DefaultLogger, Runtime, type LogLevel, type TelemetryOptions } from '@temporalio/worker';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

let installed = false;

/** Options of {@link installRuntime}; each overrides its environment variable. */
export interface RuntimeSettings {
  /**
   * Serve Prometheus metrics: a port (bound on 127.0.0.1) or `host:port`. Overrides
   * STEADFAST_METRICS_PORT, which takes the same forms.
   */
  metrics?: string | number;
}

/**
 * A `host:port` to listen on from a setting that is a port or `host:port`: `9464` →
 * `127.0.0.1:9464` (loopback unless a host is named), `0.0.0.0:9464` as given. With `allowZero`, port
 * 0 (any free port) is accepted too.
 * @throws Error naming `variable` and the expected form when the value is not a port
 */
export function bindAddressSetting(variable: string, value: string | number, allowZero = false): string {
  const text = String(value).trim();
  const match = /^(?:(.+):)?(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  const low = allowZero ? 0 : 1;
  if (!match || port < low || port > 65_535) {
    throw new Error(`${variable} must be a port (${low}-65535) or host:port, e.g. 9464 or 0.0.0.0:9464; got "${text}"`);
  }
  return `${match[1] ?? '127.0.0.1'}:${port}`;
}

/**
 * The Prometheus bind address for a STEADFAST_METRICS_PORT value: `9464` → `127.0.0.1:9464`
 * (loopback unless a host is named), `0.0.0.0:9464` as given.
 * @throws Error naming the variable and the expected form when the value is not a port
 */
export function metricsBindAddress(value: string | number): string {
  return bindAddressSetting('STEADFAST_METRICS_PORT', value);
}

/**
 * Installs the SDK runtime once per process, before any worker or connection is created; later
 * calls are no-ops. `defaultLevel` is the log level unless `STEADFAST_LOG_LEVEL` sets one (`TRACE`,
 * `DEBUG`, `INFO`, `WARN`, `ERROR`); `settings.metrics` (or `STEADFAST_METRICS_PORT`) serves
 * Prometheus metrics at `/metrics`.
 * @throws Error naming the variable when `STEADFAST_LOG_LEVEL` or the metrics address is malformed.
 *
 * @example
 * installRuntime('INFO', { metrics: 9464 }); // metrics on http://127.0.0.1:9464/metrics
 * const worker = await createWorker({ ... });
 */
export function installRuntime(defaultLevel: LogLevel = 'WARN', settings: RuntimeSettings = {}): void {
  if (installed) return;
  const fromEnv = process.env.STEADFAST_LOG_LEVEL?.trim().toUpperCase();
  if (fromEnv && !LEVELS.includes(fromEnv as LogLevel)) {
    throw new Error(`STEADFAST_LOG_LEVEL must be one of ${LEVELS.join(', ')}; got "${fromEnv}"`);
  }
  const metrics = settings.metrics ?? (process.env.STEADFAST_METRICS_PORT?.trim() || undefined);
  const telemetryOptions: TelemetryOptions | undefined =
    metrics !== undefined ? { metrics: { prometheus: { bindAddress: metricsBindAddress(metrics) } } } : undefined;
  installed = true;
  Runtime.install({ logger: new DefaultLogger((fromEnv as LogLevel | undefined) ?? defaultLevel), telemetryOptions });
}
