/**
 * Starting and connecting to Temporal: the one module that the tests, the demo, the CLI and the
 * benchmarks use.
 *
 * - {@link openTemporal}: `TEMPORAL_ADDRESS` (or a `temporal.toml` profile) set → connect to that
 *   server and start nothing; otherwise → start an embedded dev server from the resolved binary.
 * - {@link startDevServer}: a full dev server (the `temporal` CLI's `server start-dev`).
 * - {@link startTimeSkippingServer}: the time-skipping test server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { msToNumber } from '@temporalio/common/lib/time';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { NativeConnection } from '@temporalio/worker';
import type { SearchAttributeType } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';
import { steadfastDataConverter, type CodecKeyRing } from '../codec';
import { STEADFAST_SEARCH_ATTRIBUTES } from '../common/search-attributes';
import { loadConfig, type SteadfastConfig } from './config';
import { STEADFAST_FAILOVER } from '../common/failover';
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

/** Whether nothing listens on `host:port` (a listen there succeeds). */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().unref();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A live Temporal server connection (embedded or external) with what workers and clients need. */
export interface TemporalHandle {
  /** `host:port` of the frontend. */
  address: string;
  /** The namespace its `client` uses and workers should poll (`default` on an embedded server). */
  namespace: string;
  /** The Web UI, when an embedded dev server runs one. */
  uiUrl?: string;
  /** True when this process started the server (and {@link close} stops it). */
  embedded: boolean;
  /** A client on `namespace`, with Steadfast's data converter (and codec keys, when given). */
  client: Client;
  /** For workers. */
  nativeConnection: NativeConnection;
  /** The test environment, when the server was started through the SDK's testing package. */
  env?: TestWorkflowEnvironment;
  /** Closes connections and stops an embedded server. Safe to call twice. */
  close(): Promise<void>;
}

/** Options of {@link startDevServer} and {@link openTemporal}. */
export interface DevServerOptions {
  /** Serve the Web UI (on `uiPort`, or a free port). Default `false`. */
  ui?: boolean;
  /** The Web UI's port, when `ui` is on; default a free port. */
  uiPort?: number;
  /** The frontend's port on 127.0.0.1; default a free port. */
  port?: number;
  /** Persist the server's state in this SQLite file; default in-memory. */
  dbFilename?: string;
  /**
   * Extra search attributes to register at start. Steadfast's own (`STEADFAST_SEARCH_ATTRIBUTES`,
   * used by `steadfast faults`) are always registered, so runs can mark their faults.
   */
  searchAttributes?: SearchAttributeKey<SearchAttributeType>[];
  /** The server's own log level; default `warn`. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * The Web UI's codec server (`--ui-codec-endpoint`): the UI sends payloads to `<endpoint>/decode`
   * to show them decoded. The endpoint shows in the server's command line and in the UI's settings
   * (`/api/v1/settings`): anyone who can reach the UI can read it, token included.
   */
  uiCodecEndpoint?: string;
  /** Payload encryption keys for the handle's client (workers get them separately). */
  codecKeys?: CodecKeyRing;
}

/**
 * The server's timer queue reads ahead by this much, and fires no timer it creates sooner than that:
 * with Temporal's default (1 s), an activity retry that should start at once (the supervisor fails a
 * dead worker's attempt with a 1 ms `nextRetryDelay`) or after 200 ms starts after 1 s. 10 ms lets
 * short retries and timers fire on time, for a few more timer queue reads (docs/PERFORMANCE.md).
 */
export const TIMER_MAX_TIME_SHIFT = '10ms';

/**
 * The dev server's dynamic configuration, as `--dynamic-config-value KEY=JSON` pairs:
 * - `history.defaultWorkflowTaskTimeout`: the workflow task timeout of runs whose client did not
 *   set one (a Python or Go client, a schedule, the Web UI) is Steadfast's, not Temporal's 10 s.
 * - `system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute`: a run whose workflow task
 *   failed twice in a row is marked with `TemporalReportedProblems`, so `steadfast faults` finds it
 *   soon (the server's default is 5).
 * - `history.timerProcessorMaxTimeShift`: {@link TIMER_MAX_TIME_SHIFT}.
 */
export const DEV_SERVER_DYNAMIC_CONFIG: Record<string, string | number> = {
  'history.defaultWorkflowTaskTimeout': `${msToNumber(STEADFAST_FAILOVER.workflowTaskTimeout) / 1000}s`,
  'system.numConsecutiveWorkflowTaskProblemsToTriggerSearchAttribute': 2,
  'history.timerProcessorMaxTimeShift': TIMER_MAX_TIME_SHIFT,
};

/** `--dynamic-config-value` arguments for {@link DEV_SERVER_DYNAMIC_CONFIG}. */
export function dynamicConfigArgs(config: Record<string, string | number> = DEV_SERVER_DYNAMIC_CONFIG): string[] {
  return Object.entries(config).flatMap(([key, value]) => ['--dynamic-config-value', `${key}=${JSON.stringify(value)}`]);
}

/** `--ui-codec-endpoint` when the UI runs and has a codec server. */
function uiCodecArgs(opts: DevServerOptions, uiPort: number | undefined): string[] {
  return uiPort && opts.uiCodecEndpoint ? ['--ui-codec-endpoint', opts.uiCodecEndpoint] : [];
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

/** Resolves when the frontend at `address` serves `namespace`; rejects when `child` exits first. */
async function frontendReady(child: ChildProcess, address: string, namespace: string, timeoutMs = 60_000): Promise<Connection> {
  let exit: string | undefined;
  child.once('exit', (code, signal) => (exit = `exited with ${signal ?? `code ${code}`}`));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exit) throw new Error(`the dev server ${exit} before it served ${address}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return connection;
      } catch (err) {
        await connection.close();
        throw err;
      }
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the dev server did not serve ${address} within ${timeoutMs} ms: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Starts the `temporal` binary's dev server as a child process whose stdout and stderr both go to
 * this process's stderr: the banner and the server's log never mix with a command's output on
 * stdout (`steadfast server --json` prints exactly one JSON document there).
 */
async function spawnDevServer(executablePath: string, opts: DevServerOptions, port: number, uiPort?: number): Promise<TemporalHandle> {
  const namespace = 'default';
  const address = `127.0.0.1:${port}`;
  const args = [
    'server', 'start-dev',
    '--ip', '127.0.0.1',
    '--port', String(port),
    '--namespace', namespace,
    ...(uiPort ? ['--ui-port', String(uiPort)] : ['--headless']),
    ...uiCodecArgs(opts, uiPort),
    ...(opts.dbFilename ? ['--db-filename', opts.dbFilename] : []),
    '--log-format', 'pretty',
    '--log-level', opts.logLevel ?? 'warn',
    ...dynamicConfigArgs(),
  ];
  const child = spawn(executablePath, args, { stdio: ['ignore', process.stderr, process.stderr] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let connection: Connection | undefined;
  let nativeConnection: NativeConnection | undefined;
  const stop = async () => {
    await connection?.close().catch(() => undefined);
    await nativeConnection?.close().catch(() => undefined);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    }
  };
  try {
    connection = await frontendReady(child, address, namespace);
    nativeConnection = await NativeConnection.connect({ address });
    // Workflows upsert Steadfast's search attributes; the server must know them before any run.
    await ensureSearchAttributes(connection, namespace, [...STEADFAST_SEARCH_ATTRIBUTES, ...(opts.searchAttributes ?? [])]);
  } catch (err) {
    await stop();
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    address,
    namespace,
    uiUrl: uiPort ? `http://127.0.0.1:${uiPort}` : undefined,
    embedded: true,
    client: new Client({ connection, namespace, dataConverter: steadfastDataConverter(opts.codecKeys) }),
    nativeConnection,
    close: () => (closed ??= stop()),
  };
}

/**
 * Starts a dev server (the Temporal CLI's `server start-dev`) from the resolved binary, with
 * Steadfast's search attributes and {@link DEV_SERVER_DYNAMIC_CONFIG}. A binary on disk is run as
 * a child process of this one (its output on stderr); one that must be downloaded first is started
 * through the SDK's test environment. Rejects with a {@link ProvisioningError} listing where it
 * looked when no binary starts. Stop it with {@link TemporalHandle.close}.
 *
 * @example
 * let temporal: TemporalHandle;
 * before(async () => { temporal = await startDevServer(); }); // a real server: visibility, search attributes
 * after(() => temporal.close());
 */
export async function startDevServer(opts: DevServerOptions = {}): Promise<TemporalHandle> {
  const port = opts.port ?? (await freePort());
  const uiPort = opts.ui ? (opts.uiPort ?? (await freePort())) : undefined;
  return withResolvedServer('cli', async (executable) => {
    if (executable.type === 'existing-path') return spawnDevServer(executable.path, opts, port, uiPort);
    const env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable,
        ip: '127.0.0.1',
        port,
        ui: Boolean(opts.ui),
        uiPort,
        dbFilename: opts.dbFilename,
        searchAttributes: [...STEADFAST_SEARCH_ATTRIBUTES, ...(opts.searchAttributes ?? [])],
        log: { format: 'pretty', level: opts.logLevel ?? 'warn' },
        extraArgs: [...dynamicConfigArgs(), ...uiCodecArgs(opts, uiPort)],
      },
      client: { dataConverter: steadfastDataConverter(opts.codecKeys) },
    });
    return handleFromEnv(env, `127.0.0.1:${port}`, uiPort ? `http://127.0.0.1:${uiPort}` : undefined);
  });
}

/**
 * Starts the time-skipping test server from the resolved binary, with Steadfast's search
 * attributes registered. While the handle's client awaits a run's result, time skips ahead to the
 * run's next timer, so long sleeps take no real time. Rejects with a {@link ProvisioningError} listing where it looked when no binary starts.
 * Stop it with {@link TemporalHandle.close}.
 *
 * @example
 * let temporal: TemporalHandle;
 * before(async () => { temporal = await startTimeSkippingServer(); });
 * after(() => temporal.close());
 */
export async function startTimeSkippingServer(opts: Pick<DevServerOptions, 'codecKeys'> = {}): Promise<TemporalHandle> {
  const port = await freePort();
  const env = await withResolvedServer('test-server', (executable) =>
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable, port }, client: { dataConverter: steadfastDataConverter(opts.codecKeys) } }),
  );
  // Unlike the dev server, the test server takes search attributes only through the operator API.
  await ensureSearchAttributes(env.connection, env.namespace ?? 'default');
  return handleFromEnv(env, `127.0.0.1:${port}`);
}

/**
 * Connects to an external server described by the configuration (`TEMPORAL_ADDRESS`, TLS and API
 * key settings, or a `temporal.toml` profile). Starts nothing; `close` closes the connections only.
 * @throws Error when no address is configured, or naming the address when it cannot be reached.
 */
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
    client: new Client({ connection, namespace, dataConverter: steadfastDataConverter(config.codecKeys) }),
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
 * This is the resolution order's first rule: with `TEMPORAL_ADDRESS` set, nothing is started (and
 * `opts` is not used); Steadfast's search attributes are registered on the external namespace
 * where they are missing, and a failure to do so closes the handle and rejects.
 *
 * @example
 * const temporal = await openTemporal(); // TEMPORAL_ADDRESS, or an embedded dev server
 * try {
 *   await temporal.client.workflow.execute(bookTrip, { taskQueue, workflowId: uniqueId('trip'), args: [input] });
 * } finally {
 *   await temporal.close();
 * }
 */
export async function openTemporal(
  opts: DevServerOptions = {},
  config: SteadfastConfig = loadConfig(),
): Promise<TemporalHandle> {
  if (!config.temporal.address) return startDevServer({ codecKeys: config.codecKeys, ...opts });
  const handle = await connectExternal(config);
  // Workflows upsert Steadfast's search attributes; a server that lacks them would fail those tasks.
  await ensureSearchAttributes(handle.client.connection, handle.namespace).catch(async (err) => {
    await handle.close();
    throw err;
  });
  return handle;
}

