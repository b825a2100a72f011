/**
 * The SDK runtime for Steadfast's processes (CLI, demo, workers, scripts): one logger whose level
 * comes from STEADFAST_LOG_LEVEL (TRACE, DEBUG, INFO, WARN, ERROR; default given by the caller).
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

const LEVELS: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

let installed = false;

/** Installs the runtime once per process; later calls are no-ops. */
export function installRuntime(defaultLevel: LogLevel = 'WARN'): void {
  if (installed) return;
  installed = true;
  const fromEnv = process.env.STEADFAST_LOG_LEVEL?.trim().toUpperCase();
  if (fromEnv && !LEVELS.includes(fromEnv as LogLevel)) {
    throw new Error(`STEADFAST_LOG_LEVEL must be one of ${LEVELS.join(', ')}; got "${fromEnv}"`);
  }
  Runtime.install({ logger: new DefaultLogger((fromEnv as LogLevel | undefined) ?? defaultLevel) });
}
