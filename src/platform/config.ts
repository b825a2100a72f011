/**
 * The one place where Steadfast reads its configuration.
 *
 * The Temporal connection is loaded with `@temporalio/envconfig`, the ecosystem's own loader, so
 * `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, the `TEMPORAL_TLS_*` variables and
 * `temporal.toml` profiles mean exactly what they mean to the `temporal` CLI. Steadfast's own
 * variables are `STEADFAST_TASK_QUEUE` and `STEADFAST_STORE`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

/**
 * The user's project root, where `.steadfast/` (state, caches, provisioned servers) lives: the
 * nearest folder at or above the working directory that holds a `steadfast.config.*`, else the
 * nearest with a `package.json` (never a folder inside `node_modules`, so a reinstall keeps the
 * servers). `STEADFAST_PROJECT_ROOT` overrides it.
 */
export const PROJECT_ROOT = findProjectRoot(process.env.STEADFAST_PROJECT_ROOT ?? process.cwd());

function findProjectRoot(start: string): string {
  const from = path.resolve(start);
  if (process.env.STEADFAST_PROJECT_ROOT) return from;
  const up = (has: (dir: string) => boolean): string | undefined => {
    for (let dir = from; ; dir = path.dirname(dir)) {
      if (!dir.split(path.sep).includes('node_modules') && has(dir)) return dir;
      if (path.dirname(dir) === dir) return undefined;
    }
  };
  const configured = (dir: string) => ['steadfast.config.ts', 'steadfast.config.js'].some((f) => fs.existsSync(path.join(dir, f)));
  return up(configured) ?? up((dir) => fs.existsSync(path.join(dir, 'package.json'))) ?? from;
}

/** Directory for local state: the SQLite effect store, the dev server database, binary caches. */
export const STATE_DIR = process.env.STEADFAST_HOME
  ? path.resolve(process.env.STEADFAST_HOME)
  : path.join(PROJECT_ROOT, '.steadfast');

export const DEFAULT_TASK_QUEUE = 'steadfast';
export const DEFAULT_NAMESPACE = 'default';

/** Frontend port of the dev server that `steadfast server` runs (the Temporal default). */
export const DEFAULT_SERVER_PORT = 7233;
/** Web UI port of `steadfast server` (the Temporal default). */
export const DEFAULT_UI_PORT = 8233;
/**
 * Where CLI commands and standalone workers look for Temporal when no address is configured:
 * the port that `steadfast server` listens on.
 */
export const DEFAULT_SERVER_ADDRESS = `127.0.0.1:${DEFAULT_SERVER_PORT}`;
/** The persistent database of `steadfast server`. */
export const DEV_SERVER_DB = path.join(STATE_DIR, 'dev-server.db');

/** Where and how to reach Temporal. `address` undefined means "start an embedded dev server". */
export interface TemporalConfig {
  /** The server's `host:port`, or undefined when none was configured. */
  address?: string;
  namespace: string;
  /** TLS, API key and gRPC metadata, as `@temporalio/envconfig` produced them (address excluded). */
  connectionOptions: Omit<NativeConnectionOptions, 'address'>;
}

export interface SteadfastConfig {
  temporal: TemporalConfig;
  taskQueue: string;
  /** Effect store URL: `sqlite:<path>` or `postgres://…`. */
  storeUrl: string;
}

/** Thrown when a configuration value is present but unusable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * Reads a variable, treating an empty or blank value as unset, so `VAR=` never silently becomes
 * an empty task queue or address.
 */
function readEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/** Loads the whole configuration from the environment (and a `temporal.toml` profile, if any). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): SteadfastConfig {
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].trim() !== ''),
  );
  let loaded;
  try {
    loaded = loadClientConnectConfig({ overrideEnvVars });
  } catch (err) {
    throw new ConfigError(
      `could not load the Temporal connection settings (TEMPORAL_* variables or temporal.toml): ${(err as Error).message}`,
    );
  }
  const { address, ...connectionOptions } = loaded.connectionOptions;
  const taskQueue = readEnv(env, 'STEADFAST_TASK_QUEUE') ?? DEFAULT_TASK_QUEUE;
  const storeUrl = readEnv(env, 'STEADFAST_STORE') ?? `sqlite:${path.join(STATE_DIR, 'effects.db')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(storeUrl)) {
    throw new ConfigError(
      `STEADFAST_STORE must be "sqlite:<file>" or a "postgres://" URL, got "${storeUrl}"`,
    );
  }
  return {
    temporal: {
      address: address || undefined,
      namespace: loaded.namespace || DEFAULT_NAMESPACE,
      connectionOptions,
    },
    taskQueue,
    storeUrl,
  };
}

/**
 * The server that a CLI command or a standalone worker connects to: the configured address, or
 * else {@link DEFAULT_SERVER_ADDRESS}. `source` says which, for error messages.
 * (The demo and the tests start an embedded server instead; see `openTemporal`.)
 */
export function serverAddress(config: SteadfastConfig): { address: string; source: string } {
  return config.temporal.address
    ? { address: config.temporal.address, source: 'from TEMPORAL_ADDRESS or temporal.toml' }
    : { address: DEFAULT_SERVER_ADDRESS, source: 'the default, where "steadfast server" listens; set TEMPORAL_ADDRESS for another' };
}
