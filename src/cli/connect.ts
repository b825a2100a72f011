/**
 * How CLI commands reach Temporal: the address from TEMPORAL_ADDRESS (or a temporal.toml profile),
 * else 127.0.0.1:7233, where `steadfast server` listens (`serverAddress` in platform/config.ts).
 * Client commands never start a server: with none there, they say so and exit 1. With tracing on
 * (STEADFAST_TRACE=1, or `tracing` in steadfast.config.ts) the client opens the root span of each
 * run it starts, so `steadfast start` begins the run's trace.
 */
import net from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { GRPC_STATUS } from '../platform/grpc-status';
import { ConfigError, loadConfig, serverAddress, type SteadfastConfig } from '../platform/config';
import { steadfastDataConverter } from '../codec';
import { OperationError, UsageError } from './cli-errors';
import { findProjectConfig, loadProject } from '../config/load';
import { resolveTracing, type ProjectTracing } from '../tracing/settings';
import type * as TracingModule from '../tracing/tracing';

/** How long the CLI waits for a server that accepts TCP connections to answer gRPC. */
const CONNECT_TIMEOUT = '5 seconds';
const { NOT_FOUND, DEADLINE_EXCEEDED, UNAVAILABLE } = GRPC_STATUS;

/** A client connection for one CLI command. */
export interface CliConnection {
  client: Client;
  connection: Connection;
  address: string;
  namespace: string;
  taskQueue: string;
  config: SteadfastConfig;
  close(): Promise<void>;
}

/** Loads the configuration, turning a bad variable into a usage error that names it. */
export function loadCliConfig(env: NodeJS.ProcessEnv = process.env): SteadfastConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const field = /\b(STEADFAST_[A-Z_]+|TEMPORAL_[A-Z_]+)\b/.exec(err.message)?.[1] ?? 'TEMPORAL_* / STEADFAST_*';
    throw new UsageError({ code: 'bad-config', message: err.message, field, expected: 'a valid setting (see README, Configuration)' });
  }
}

/** The project's `tracing` declaration, when there is a project config that loads. */
function projectTracing(): ProjectTracing | undefined {
  if (!findProjectConfig()) return undefined;
  try {
    return loadProject().tracing;
  } catch {
    return undefined; // The commands that need the project report a broken config themselves.
  }
}

/** Starts the client's tracing when the configuration turns it on (the OpenTelemetry SDK loads only then). */
function cliTracing(config: SteadfastConfig): TracingModule.SteadfastTracing | undefined {
  const project = projectTracing();
  let on: boolean;
  try {
    on = resolveTracing(config.tracing ?? {}, project, { root: '.', stateDir: '.' }) !== undefined;
  } catch (err) {
    throw new UsageError({ code: 'bad-config', message: (err as Error).message, field: 'tracing.otlpEndpoint', expected: 'an http(s) URL' });
  }
  if (!on) return undefined;
  return tracingModule().tracingFromConfig(config, project, { serviceName: 'steadfast-cli' });
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const tracingModule = () => require('../tracing/tracing') as typeof TracingModule;

/** A quick TCP probe, so an absent server is reported at once rather than after a gRPC deadline. */
async function probe(address: string): Promise<string | undefined> {
  const match = /^(.*):(\d+)$/.exec(address);
  if (!match) return `"${address}" is not host:port`;
  const [, host, port] = match;
  return new Promise((resolve) => {
    const socket = net.connect({ host: host.replace(/^\[|\]$/g, ''), port: Number(port) });
    socket.setTimeout(3000);
    const done = (reason?: string) => {
      socket.destroy();
      resolve(reason);
    };
    socket.once('connect', () => done());
    socket.once('timeout', () => done('no answer within 3 s'));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code === 'ECONNREFUSED' ? 'connection refused' : (err.code ?? err.message)));
  });
}

function unreachable(address: string, source: string, reason: string, cause?: unknown): OperationError {
  return new OperationError(
    {
      code: 'server-unreachable',
      message:
        `cannot reach the Temporal server at ${address} (${source}): ${reason}. ` +
        'Start one with "steadfast server", or set TEMPORAL_ADDRESS to a running server.',
      field: 'TEMPORAL_ADDRESS',
      expected: 'the host:port of a running Temporal frontend',
    },
    { cause },
  );
}

/** Connects to the configured (or default) server and checks the namespace exists. */
export async function connectCli(config: SteadfastConfig = loadCliConfig()): Promise<CliConnection> {
  const { address, source } = serverAddress(config);
  const { namespace } = config.temporal;
  const refused = await probe(address);
  if (refused) throw unreachable(address, source, refused);
  let connection: Connection;
  try {
    connection = await Connection.connect({ address, ...config.temporal.connectionOptions, connectTimeout: CONNECT_TIMEOUT });
  } catch (err) {
    throw unreachable(address, source, (err as Error).message, err);
  }
  try {
    await connection.workflowService.describeNamespace({ namespace });
  } catch (err) {
    await connection.close();
    if ((err as { code?: number }).code === NOT_FOUND) {
      throw new UsageError({
        code: 'unknown-namespace',
        message: `TEMPORAL_NAMESPACE: namespace "${namespace}" does not exist on ${address}`,
        field: 'TEMPORAL_NAMESPACE',
        expected: 'an existing namespace (the dev server has "default")',
      });
    }
    const code = (err as { code?: number }).code;
    if (code === UNAVAILABLE || code === DEADLINE_EXCEEDED) throw unreachable(address, source, (err as Error).message, err);
    throw new OperationError(
      {
        code: 'server-error',
        message: `the Temporal server at ${address} refused to describe namespace "${namespace}": ${(err as Error).message}`,
        field: 'TEMPORAL_API_KEY / TEMPORAL_TLS_*',
        expected: 'credentials that may use the namespace',
      },
      { cause: err },
    );
  }
  const tracing = cliTracing(config);
  return {
    // With codec keys, payloads are encrypted on the way out and decrypted on the way back.
    client: new Client({
      connection,
      namespace,
      dataConverter: steadfastDataConverter(config.codecKeys),
      ...(tracing ? { interceptors: tracingModule().clientTracingInterceptors(tracing) } : {}),
    }),
    connection,
    address,
    namespace,
    taskQueue: config.taskQueue,
    config,
    close: async () => {
      await tracing?.shutdown().catch((err) => console.error('flushing the spans failed:', err));
      await connection.close();
    },
  };
}
