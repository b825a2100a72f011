/**
 * Long-running commands: `server` (the embedded dev server in the foreground), `worker` and
 * `demo`. With `--json` they emit JSON Lines: one event per line (`ready`, `stopping`, `stopped`).
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, serverAddress, type SteadfastConfig } from '../../platform/config';
import type * as RuntimeModule from '../../platform/runtime';
import type * as ServersModule from '../../platform/servers';
import type * as WorkerModule from '../../worker/run-worker';
import { loadProject } from '../../config/load';
import { STEADFAST_SEARCH_ATTRIBUTES } from '../../common/search-attributes';
import { OperationError, UsageError } from '../cli-errors';
import { ok, type CommandOutput } from './output';

/*
 * The modules below load the native SDK runtime, which the client commands do not need, so they
 * are required on use. (require, not import(): the CLI runs under tsx's CommonJS hooks only.)
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const runtime = () => require('../../platform/runtime') as typeof RuntimeModule;
const servers = () => require('../../platform/servers') as typeof ServersModule;
const workers = () => require('../../worker/run-worker') as typeof WorkerModule;
/* eslint-enable @typescript-eslint/no-require-imports */

/** Prints one event of a long-running command. */
export type Emit = (event: Record<string, unknown> & { event: string }, text: string) => void;

/** Resolves on the first SIGINT or SIGTERM. */
function nextShutdownSignal(): Promise<NodeJS.Signals> {
  // The server runs in a child of the native runtime, which does not keep Node's event loop
  // alive; this timer does, until the signal.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      clearInterval(keepAlive);
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** Fails with a clear error when something already listens on 127.0.0.1:`port`. */
async function assertPortFree(port: number, option: string): Promise<void> {
  const problem = await new Promise<string | undefined>((resolve) => {
    const probe = net.createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(undefined)));
  });
  if (problem) {
    throw new OperationError({
      code: 'port-in-use',
      message: `${option} ${port}: cannot listen on 127.0.0.1:${port} (${problem}); is another server running? Pass ${option} <port> to use another`,
      field: option,
      expected: 'a free TCP port',
    });
  }
}

/** Options of `server`. */
export interface ServerOptions {
  port: number;
  uiPort: number;
  ui: boolean;
  db: string;
}

/**
 * `steadfast server`: a dev server with the Web UI, a persistent SQLite database and Steadfast's
 * search attributes registered, until Ctrl-C (SIGINT) or SIGTERM.
 */
export async function server(opts: ServerOptions, emit: Emit): Promise<CommandOutput> {
  await assertPortFree(opts.port, '--port');
  if (opts.ui) await assertPortFree(opts.uiPort, '--ui-port');
  fs.mkdirSync(path.dirname(path.resolve(opts.db)), { recursive: true });
  runtime().installRuntime('WARN');
  const { startDevServer } = servers();
  const stopped = nextShutdownSignal();
  const handle = await startDevServer({ port: opts.port, ui: opts.ui, uiPort: opts.uiPort, dbFilename: path.resolve(opts.db), logLevel: 'warn' });
  try {
    const ready = {
      event: 'ready',
      address: handle.address,
      namespace: handle.namespace,
      ...(handle.uiUrl ? { uiUrl: handle.uiUrl } : {}),
      db: path.resolve(opts.db),
      searchAttributes: STEADFAST_SEARCH_ATTRIBUTES.map((k) => k.name),
    };
    emit(
      ready,
      `Temporal dev server on ${handle.address} (namespace ${handle.namespace})` +
        (handle.uiUrl ? `\nWeb UI:   ${handle.uiUrl}` : '') +
        `\nDatabase: ${ready.db}\nSearch attributes: ${ready.searchAttributes.join(', ')}\nCtrl-C stops it.`,
    );
    const signal = await stopped;
    emit({ event: 'stopping', signal }, `${signal}: stopping the server…`);
  } finally {
    await handle.close();
  }
  return { ...ok({ event: 'stopped' }, 'server stopped'), compact: true };
}

/** `steadfast worker`: a worker on the configured task queue until SIGINT/SIGTERM. */
export async function worker(config: SteadfastConfig, emit: Emit): Promise<CommandOutput> {
  runtime().installRuntime('WARN');
  const { runWorker, WorkerConnectError } = workers();
  emit({ event: 'starting', address: serverAddress(config).address }, `starting a worker for ${serverAddress(config).address}…`);
  try {
    await runWorker({
      project: loadProject(),
      config,
      onReady: (r) =>
        emit(
          { event: 'ready', ...r },
          `worker polling task queue ${r.taskQueue} on ${r.address} (namespace ${r.namespace}); effects in ${r.store}` +
            (r.registered.length ? `\nregistered search attributes: ${r.registered.join(', ')}` : '') +
            '\nCtrl-C (or SIGTERM) shuts it down gracefully.',
        ),
      onShutdown: (signal) => emit({ event: 'stopping', signal }, `${signal}: shutting down gracefully (running tasks finish first)…`),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      const field = /^([A-Z][A-Z0-9_]+)/.exec(err.message)?.[1] ?? 'environment';
      throw new UsageError({ code: 'bad-setting', message: err.message, field, expected: 'a valid value (see workers/run.ts)' }, { cause: err });
    }
    if (err instanceof WorkerConnectError) {
      throw new OperationError(
        { code: 'server-unreachable', message: err.message, field: 'TEMPORAL_ADDRESS', expected: 'the host:port of a running Temporal frontend' },
        { cause: err },
      );
    }
    throw err;
  }
  return { ...ok({ event: 'stopped' }, 'worker stopped'), compact: true };
}

/** `steadfast demo`: the project's demo (`demo` in its config). With `--json` its narrative goes to stderr. */
export async function demo(json: boolean): Promise<CommandOutput> {
  const runDemo = loadProject().demo;
  if (!runDemo) {
    throw new UsageError({
      code: 'no-demo',
      message: 'this project declares no demo: add demo() to steadfast.config.ts',
      field: 'demo',
      expected: 'a project whose steadfast.config.ts declares demo()',
    });
  }
  const log = console.log;
  if (json) console.log = console.error;
  let exitCode: number;
  try {
    exitCode = await runDemo();
  } finally {
    console.log = log;
  }
  const code = exitCode === 0 || exitCode === 1 || exitCode === 130 ? exitCode : 1;
  return { exitCode: code, json: { event: 'finished', exitCode: code }, text: '', compact: true };
}
