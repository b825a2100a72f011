/**
 * Starting and connecting to Temporal: the one module that the tests, the demo, the CLI and the
 * benchmarks use.
 *
 * - {@link openTemporal}: `TEMPORAL_ADDRESS` (or a `temporal.toml` profile) set → connect to that
 *   server and start nothing; otherwise → start an embedded dev server from the resolved binary.
 * - {@link startDevServer}: a full dev server (the `temporal` CLI's `server start-dev`).
 * - {@link startTimeSkippingServer}: the time-skipping test server.
 */
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import type { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { STEADFAST_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { loadConfig, type SteadfastConfig } from './config';
import { withResolvedServer } from './provision';
import { ensureSearchAttributes } from './search-attributes';

/** A free TCP port on loopback, chosen by the OS. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A live Temporal server connection (embedded or external) with what workers and clients need. */
export interface TemporalHandle {
  /** `host:port` of the frontend. */
  address: string;
  namespace: string;
  /** The Web UI, when an embedded dev server runs one. */
  uiUrl?: string;
  /** True when this process started the server (and {@link close} stops it). */
  embedded: boolean;
  client: Client;
  /** For workers. */
  nativeConnection: NativeConnection;
  /** The test environment, when the server was started through the SDK's testing package. */
  env?: TestWorkflowEnvironment;
  /** Closes connections and stops an embedded server. Safe to call twice. */
  close(): Promise<void>;
}

export interface DevServerOptions {
  /** Serve the Web UI (on `uiPort`, or a free port). */
  ui?: boolean;
  uiPort?: number;
  port?: number;
  /** Persist the server's state in this SQLite file; default in-memory. */
  dbFilename?: string;
  /**
   * Extra search attributes to register at start. Steadfast's own (`workflows/search-attributes.ts`,
   * used by `steadfast faults`) are always registered: workflows upsert them, which fails on a
   * server that does not know them.
   */
  searchAttributes?: SearchAttributeKey<SearchAttributeType>[];
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
}

function handleFromEnv(env: TestWorkflowEnvironment, address: string, uiUrl?: string): TemporalHandle {
  let closed: Promise<void> | undefined;
  return {
    address,
    namespace: env.namespace ?? 'default',
    uiUrl,
    embedded: true,
    client: env.client,
    nativeConnection: env.nativeConnection,
    env,
    close: () => (closed ??= env.teardown()),
  };
}

/** Starts a dev server (the Temporal CLI's `server start-dev`) from the resolved binary. */
export async function startDevServer(opts: DevServerOptions = {}): Promise<TemporalHandle> {
  const port = opts.port ?? (await freePort());
  const uiPort = opts.ui ? (opts.uiPort ?? (await freePort())) : undefined;
  const env = await withResolvedServer('cli', (executable) =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        ip: '127.0.0.1',
        port,
        ui: Boolean(opts.ui),
        uiPort,
        dbFilename: opts.dbFilename,
        searchAttributes: [...STEADFAST_SEARCH_ATTRIBUTES, ...(opts.searchAttributes ?? [])],
        log: { format: 'pretty', level: opts.logLevel ?? 'warn' },
      },
    }),
  );
  return handleFromEnv(env, `127.0.0.1:${port}`, uiPort ? `http://127.0.0.1:${uiPort}` : undefined);
}

/** Starts the time-skipping test server from the resolved binary. */
export async function startTimeSkippingServer(): Promise<TemporalHandle> {
  const port = await freePort();
  const env = await withResolvedServer('test-server', (executable) =>
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable, port } }),
  );
  // Unlike the dev server, the test server takes search attributes only through the operator API.
  await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  return handleFromEnv(env, `127.0.0.1:${port}`);
}

/** Connects to an external server described by the configuration. Starts nothing. */
export async function connectExternal(config: SteadfastConfig = loadConfig()): Promise<TemporalHandle> {
  const { address, namespace, connectionOptions } = config.temporal;
  if (!address) throw new Error('connectExternal: no TEMPORAL_ADDRESS (or profile address) configured');
  let connection: Connection;
  let nativeConnection: NativeConnection;
  try {
    connection = await Connection.connect({ address, ...connectionOptions });
    nativeConnection = await NativeConnection.connect({ address, ...connectionOptions });
  } catch (err) {
    throw new Error(
      `cannot reach the Temporal server at ${address} (from TEMPORAL_ADDRESS or temporal.toml): ${(err as Error).message}`,
      { cause: err },
    );
  }
  let closed: Promise<void> | undefined;
  return {
    address,
    namespace,
    embedded: false,
    client: new Client({ connection, namespace }),
    nativeConnection,
    close: () =>
      (closed ??= (async () => {
        await connection.close();
        await nativeConnection.close();
      })()),
  };
}

/**
 * The server Steadfast should use: the configured external one, or else an embedded dev server.
 * This is the resolution order's first rule: with `TEMPORAL_ADDRESS` set, nothing is started.
 */
export async function openTemporal(
  opts: DevServerOptions = {},
  config: SteadfastConfig = loadConfig(),
): Promise<TemporalHandle> {
  if (!config.temporal.address) return startDevServer(opts);
  const handle = await connectExternal(config);
  // Workflows upsert Steadfast's search attributes; a server that lacks them would fail those tasks.
  await ensureSearchAttributes(handle.client.connection, handle.namespace).catch(async (err) => {
    await handle.close();
    throw err;
  });
  return handle;
}

