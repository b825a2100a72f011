/**
 * Long-running commands: `server` (the embedded dev server in the foreground), `worker`, `demo`
 * and `codec-server`; and `bundle`, which builds the workflow bundle a worker can load instead of
 * bundling at its start. With `--json` they emit JSON Lines: one event per line (`ready`, `stopping`, `stopped`).
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ConfigError, isLoopbackAddress, PROJECT_ROOT, serverAddress, STATE_DIR, type SteadfastConfig } from '../../platform/config';
import { resolveTracing } from '../../tracing/settings';
import { AesGcmCodec, CODEC_KEYS_FILE_VAR, CODEC_KEYS_VAR, startCodecServer } from '../../codec';
import { makePrivateDir, writePrivateFile } from '../../platform/private-files';
import type * as RuntimeModule from '../../platform/runtime';
import type * as ServersModule from '../../platform/servers';
import type * as WorkerModule from '../../worker/run-worker';
import type * as CreateWorkerModule from '../../worker/create-worker';
import type * as SupervisorModule from '../../worker/supervisor';
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
const createWorkerModule = () => require('../../worker/create-worker') as typeof CreateWorkerModule;
const supervisorModule = () => require('../../worker/supervisor') as typeof SupervisorModule;
/* eslint-enable @typescript-eslint/no-require-imports */

/**
 * `steadfast bundle --out <file>`: bundles the project's workflow code (with Steadfast's workflow
 * interceptors, as a worker would at its start) into `file`. Workers started with
 * `STEADFAST_WORKFLOW_BUNDLE=<file>` load it and poll within seconds. Rebuild it whenever the
 * workflow code changes: a worker runs the bundle it is given. With tracing on (STEADFAST_TRACE=1
 * or `tracing` in the config) the bundle holds the tracing interceptors, which a tracing worker needs.
 */
export async function bundle(out: string, config: SteadfastConfig): Promise<CommandOutput> {
  const file = path.resolve(out);
  const started = Date.now();
  const project = loadProject();
  const tracing = resolveTracing(config.tracing ?? {}, project.tracing, { root: PROJECT_ROOT, stateDir: STATE_DIR }) !== undefined;
  const { code } = await createWorkerModule().workflowBundle(project, [], { tracing });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, code);
  const ms = Date.now() - started;
  return ok(
    { file, bytes: Buffer.byteLength(code), ms },
    `workflow bundle written to ${file} (${Buffer.byteLength(code)} bytes, ${ms} ms)\n` +
      `start workers with STEADFAST_WORKFLOW_BUNDLE=${file} to skip bundling; rebuild it when the workflow code changes`,
  );
}

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
  // The server creates its schema only in a database file that does not exist yet: an empty file
  // made beforehand would leave it without tables. Its folder is private from the start; the file
  // (and SQLite's journal files) are made private once the server has created them.
  const db = path.resolve(opts.db);
  makePrivateDir(path.dirname(db));
  runtime().installRuntime('WARN');
  const { startDevServer } = servers();
  const stopped = nextShutdownSignal();
  const handle = await startDevServer({ port: opts.port, ui: opts.ui, uiPort: opts.uiPort, dbFilename: db, logLevel: 'warn' });
  for (const file of [db, `${db}-wal`, `${db}-shm`, `${db}-journal`]) if (fs.existsSync(file)) fs.chmodSync(file, 0o600);
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
            (r.tracing ? `\ntracing to ${[r.tracing.file, r.tracing.otlpEndpoint].filter(Boolean).join(' and ')}` : '') +
            (r.health ? `\nhealth: http://${r.health}/healthz, readiness: http://${r.health}/readyz` : '') +
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

/**
 * `steadfast worker --processes N`: N worker processes under a supervisor (`runSupervisor`), until
 * SIGINT/SIGTERM. A worker process that dies has its in-flight activity attempts failed at once
 * (retried on a survivor) and its sticky queues reset, and is replaced.
 */
export async function supervisedWorkers(config: SteadfastConfig, processes: number, emit: Emit): Promise<CommandOutput> {
  const { runSupervisor, SupervisorConfigError } = supervisorModule();
  const { address } = serverAddress(config);
  emit({ event: 'starting', address, processes }, `bundling the workflows once, then starting ${processes} worker processes for ${address}…`);
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    emit({ event: 'stopping', signal }, `${signal}: shutting the worker processes down gracefully (running tasks finish first)…`);
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await runSupervisor({
      project: loadProject(),
      processes,
      config,
      signal: stop.signal,
      onEvent: (e) => {
        const text =
          e.event === 'bundled'
            ? `workflow bundle built in ${e.ms} ms`
            : e.event === 'started'
              ? `worker process ${e.slot} started (pid ${e.pid})`
              : e.event === 'ready'
                ? `worker process ${e.slot} polling task queue ${config.taskQueue} as ${e.identity}`
                : e.event === 'exited'
                  ? `worker process ${e.slot} (pid ${e.pid}) exited (${e.signal ?? `code ${e.code}`})`
                  : e.event === 'recovered'
                    ? `handed over the work of ${e.identity}: ${e.failed} activity attempt(s) failed for retry on a survivor` +
                      `${e.unreported ? ` (${e.unreported} it had taken but not started)` : ''}, ` +
                      `${e.stickyReset} sticky queue(s) reset, ${e.stickyDrained} queued workflow task(s) moved off its sticky queue, in ${e.ms} ms` +
                      (e.errors.length ? `\n  ${e.errors.join('\n  ')}` : '')
                    : `restarting worker process ${e.slot} in ${e.delayMs} ms`;
        emit(e, text);
      },
    });
  } catch (err) {
    if (err instanceof SupervisorConfigError || err instanceof ConfigError) {
      throw new UsageError({ code: 'bad-setting', message: err.message, field: 'environment', expected: 'valid worker settings' }, { cause: err });
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { ...ok({ event: 'stopped' }, 'worker processes stopped'), compact: true };
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
  } catch (err) {
    if (err instanceof ConfigError) {
      const field = /^([A-Z][A-Z0-9_]+)/.exec(err.message)?.[1] ?? 'environment';
      throw new UsageError({ code: 'bad-setting', message: err.message, field, expected: 'a valid value (see README, Configuration)' }, { cause: err });
    }
    throw err;
  } finally {
    console.log = log;
  }
  const code = exitCode === 0 || exitCode === 1 || exitCode === 130 ? exitCode : 1;
  return { exitCode: code, json: { event: 'finished', exitCode: code }, text: '', compact: true };
}

/** Options of `codec-server`. */
export interface CodecServerCommandOptions {
  port: number;
  host: string;
  uiOrigin: string[];
  tlsCert?: string;
  tlsKey?: string;
}

/** Where `codec-server` keeps the token it generated, when STEADFAST_CODEC_SERVER_TOKEN is not set. */
export const CODEC_SERVER_TOKEN_FILE = path.join(STATE_DIR, 'codec-server.token');

/** The token from STEADFAST_CODEC_SERVER_TOKEN, or the one generated once into {@link CODEC_SERVER_TOKEN_FILE}. */
function codecServerToken(env: NodeJS.ProcessEnv): { token: string; source: string } {
  const fromEnv = env.STEADFAST_CODEC_SERVER_TOKEN?.trim();
  if (fromEnv) {
    if (fromEnv.length < 16) {
      throw new UsageError({
        code: 'bad-setting',
        message: 'STEADFAST_CODEC_SERVER_TOKEN must be at least 16 characters (e.g. from "openssl rand -hex 32")',
        field: 'STEADFAST_CODEC_SERVER_TOKEN',
        expected: 'a random token of 16 characters or more',
      });
    }
    return { token: fromEnv, source: 'STEADFAST_CODEC_SERVER_TOKEN' };
  }
  if (!fs.existsSync(CODEC_SERVER_TOKEN_FILE)) writePrivateFile(CODEC_SERVER_TOKEN_FILE, `${randomBytes(32).toString('hex')}\n`);
  return { token: fs.readFileSync(CODEC_SERVER_TOKEN_FILE, 'utf8').trim(), source: CODEC_SERVER_TOKEN_FILE };
}

/**
 * `steadfast codec-server`: decrypts and encrypts payloads for the Temporal Web UI and the
 * `temporal` CLI with the configured codec keys, until SIGINT/SIGTERM. The token is never printed:
 * the ready event names where it is.
 */
export async function codecServer(config: SteadfastConfig, opts: CodecServerCommandOptions, emit: Emit): Promise<CommandOutput> {
  if (!config.codecKeys) {
    throw new UsageError({
      code: 'no-codec-keys',
      message: `codec-server: no codec keys configured; set ${CODEC_KEYS_FILE_VAR} (or ${CODEC_KEYS_VAR})`,
      field: CODEC_KEYS_FILE_VAR,
      expected: 'a key file: {"current": "<id>", "keys": {"<id>": "<base64 of 32 bytes>"}}',
    });
  }
  if (Boolean(opts.tlsCert) !== Boolean(opts.tlsKey)) {
    throw new UsageError({ code: 'bad-option', message: '--tls-cert and --tls-key go together', field: opts.tlsCert ? '--tls-key' : '--tls-cert', expected: 'a PEM file' });
  }
  for (const origin of opts.uiOrigin) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new UsageError({ code: 'bad-option', message: `--ui-origin: "${origin}" is not an origin`, field: '--ui-origin', expected: 'scheme://host:port, e.g. http://127.0.0.1:8233' });
    }
  }
  const { token, source } = codecServerToken(process.env);
  if (!isLoopbackAddress(opts.host) && !opts.tlsCert) {
    console.warn(`warning: codec-server on ${opts.host} without --tls-cert/--tls-key: tokens and decrypted payloads cross the network in clear text`);
  }
  const stopped = nextShutdownSignal();
  let server;
  try {
    server = await startCodecServer({
      codec: new AesGcmCodec(config.codecKeys),
      tokens: [token],
      uiOrigins: opts.uiOrigin,
      host: opts.host,
      port: opts.port,
      tls: opts.tlsCert && opts.tlsKey ? { certFile: opts.tlsCert, keyFile: opts.tlsKey } : undefined,
      log: (line) => console.error(line),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new OperationError({ code: 'port-in-use', message: `--port ${opts.port}: cannot listen on ${opts.host}:${opts.port} (${code})`, field: '--port', expected: 'a free TCP port' });
    }
    throw err;
  }
  try {
    const ready = { event: 'ready', url: server.url, uiOrigins: opts.uiOrigin, currentKey: config.codecKeys.current, keyIds: config.codecKeys.ids, tokenFrom: source };
    emit(
      ready,
      `codec server on ${server.url} (keys ${ready.keyIds.join(', ')}; new payloads use ${ready.currentKey})\n` +
        `token: from ${source}\n` +
        `temporal CLI: temporal workflow show -w <id> --codec-endpoint ${server.url} --codec-auth "Bearer $(cat <token file>)"\n` +
        `Web UI (origins ${opts.uiOrigin.join(', ') || 'none'}): --ui-codec-endpoint ${server.url}/<token> (the UI sends no token header of its own)\n` +
        'Ctrl-C stops it.',
    );
    const signal = await stopped;
    emit({ event: 'stopping', signal }, `${signal}: stopping the codec server…`);
  } finally {
    await server.close();
  }
  return { ...ok({ event: 'stopped' }, 'codec server stopped'), compact: true };
}
