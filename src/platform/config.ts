/**
 * The one place where Steadfast reads its configuration.
 *
 * The Temporal connection is loaded with `@temporalio/envconfig`, the ecosystem's own loader, so
 * `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`, the `TEMPORAL_TLS_*` variables and
 * `temporal.toml` profiles mean exactly what they mean to the `temporal` CLI. Steadfast's own
 * variables are `STEADFAST_TASK_QUEUE`, `STEADFAST_STORE` and the payload encryption keys,
 * `STEADFAST_CODEC_KEYS_FILE` (or `STEADFAST_CODEC_KEYS`; see src/codec/keys.ts).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { CodecKeyError, loadCodecKeys, type CodecKeyRing } from '../codec/keys';

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
  /** The namespace (`TEMPORAL_NAMESPACE` or the profile's); default `default`. */
  namespace: string;
  /** TLS, API key and gRPC metadata, as `@temporalio/envconfig` produced them (address excluded). */
  connectionOptions: Omit<NativeConnectionOptions, 'address'>;
}

/**
 * Steadfast's whole configuration, as {@link loadConfig} reads it from the environment: the same
 * values for the worker, the client, the CLI and the tests.
 *
 * @example
 * const config = loadConfig(); // throws ConfigError naming the variable when a value is unusable
 * const store = openStore(config.storeUrl);
 * console.log(config.temporal.address ?? 'no server configured', config.temporal.namespace, config.taskQueue);
 */
export interface SteadfastConfig {
  /** Where and how to reach Temporal. */
  temporal: TemporalConfig;
  /** The task queue (`STEADFAST_TASK_QUEUE`); default `steadfast`. */
  taskQueue: string;
  /**
   * Effect store URL, for `openStore`: `STEADFAST_STORE` (`sqlite:<path>` or `postgres://…`), or by
   * default `sqlite:` and the file `effects.db` in the state folder (`.steadfast/` at the project root).
   */
  storeUrl: string;
  /** True when `STEADFAST_STORE` set the store (false: the default SQLite file). */
  storeExplicit: boolean;
  /** Payload encryption keys; undefined: payloads are not encrypted. */
  codecKeys?: CodecKeyRing;
}

/** Thrown when a configuration value is present but unusable. */
export class ConfigError extends Error {
  /** Always `ConfigError`. */
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

/**
 * Loads the whole configuration from `env` (default `process.env`) and a `temporal.toml` profile,
 * if any; blank variables count as unset.
 * @throws ConfigError naming the variable when a value is present but unusable (a malformed
 * `temporal.toml`, a `STEADFAST_STORE` that is neither `sqlite:` nor `postgres://`, bad codec keys).
 */
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
  const explicitStore = readEnv(env, 'STEADFAST_STORE');
  const storeUrl = explicitStore ?? `sqlite:${path.join(STATE_DIR, 'effects.db')}`;
  if (!/^(sqlite:|postgres(ql)?:\/\/)/.test(storeUrl)) {
    // Only the start: the rest of a URL may hold a password.
    throw new ConfigError(
      `STEADFAST_STORE must be "sqlite:<file>" or a "postgres://" URL, got one starting "${storeUrl.slice(0, 12)}…"`,
    );
  }
  let codecKeys: CodecKeyRing | undefined;
  try {
    codecKeys = loadCodecKeys(env);
  } catch (err) {
    if (err instanceof CodecKeyError) throw new ConfigError(err.message);
    throw err;
  }
  return {
    temporal: {
      address: address || undefined,
      namespace: loaded.namespace || DEFAULT_NAMESPACE,
      connectionOptions,
    },
    taskQueue,
    storeUrl,
    storeExplicit: explicitStore !== undefined,
    ...(codecKeys ? { codecKeys } : {}),
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

/** True for `localhost`, `127.x.x.x` and `::1` addresses (with or without a port). */
export function isLoopbackAddress(address: string): boolean {
  const host = (/^\[([^\]]+)\](?::\d+)?$/.exec(address)?.[1] ?? address.replace(/:\d+$/, '')).toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (net.isIPv4(host)) return host.startsWith('127.');
  return host === '::1';
}

/**
 * Refuses a worker or demo that would reach a remote Temporal server with the default local
 * SQLite store: workers of one task queue on several machines would each keep effects in a
 * private file. Call it where a worker starts.
 * @throws ConfigError naming STEADFAST_STORE
 */
export function assertStoreForRemoteServer(config: SteadfastConfig): void {
  const address = config.temporal.address;
  if (address && !isLoopbackAddress(address) && !config.storeExplicit) {
    throw new ConfigError(
      `STEADFAST_STORE must be set when the Temporal server is not on this machine (${address}): ` +
        'workers of one task queue must share one effect store, e.g. STEADFAST_STORE=postgres://…',
    );
  }
}

/**
 * A warning when the connection to a non-loopback server is not encrypted (no TLS settings and no
 * API key, which turns TLS on), else undefined: credentials and payloads would cross the network
 * in clear text.
 */
export function plaintextConnectionWarning(config: SteadfastConfig, address = config.temporal.address): string | undefined {
  if (!address || isLoopbackAddress(address)) return undefined;
  const { tls, apiKey } = config.temporal.connectionOptions;
  if (tls || (apiKey && tls !== false)) return undefined;
  return (
    `warning: connecting to the Temporal server at ${address} without TLS; ` +
    'set TEMPORAL_TLS=true (TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA; TEMPORAL_TLS_CLIENT_CERT_PATH and ' +
    'TEMPORAL_TLS_CLIENT_KEY_PATH for mTLS), TEMPORAL_API_KEY, or a temporal.toml profile with TLS'
  );
}
