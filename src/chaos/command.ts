/**
 * The `chaos` command (commander): flags → options → {@link runChaos} → summary or JSON, HTML
 * report, exit code (0 every invariant holds, 1 one is violated, 2 bad usage). `npm run chaos`
 * runs it as a script; the `steadfast` CLI adds it with `program.addCommand(chaosCommand())`.
 */
import { Command, CommanderError, Option } from 'commander';
import { installRuntime } from '../platform/runtime';
import { exitWhenFlushed } from '../platform/exit';
import { ChaosUsageError } from './options';
import { formatSummary } from './report';
import { runChaos, type ChaosExtensions } from './runner';

/** The command-line flags as commander parses them. */
interface Flags {
  workflows?: string;
  types?: string;
  transient?: string;
  permanent?: string;
  timeout?: string;
  lostAck?: string;
  workers?: string;
  kills?: string;
  killWindow?: string;
  respawn: boolean;
  supervisor?: boolean;
  workflowTaskTimeout?: string;
  stickyTimeout?: string;
  serverRestart?: boolean;
  target?: string;
  clusterDir?: string;
  nodeKills?: string;
  nodeDown?: string;
  seed?: string;
  timeLimit?: string;
  report?: string;
  store?: string;
  json?: boolean;
  progress?: boolean;
}

/** A numeric flag as a number; a non-number stays NaN, which the schema reports by field. */
function num(value: string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

/** Flags → the input of {@link runChaos} (validated there, with zod). */
export function flagsToOptions(f: Flags): Record<string, unknown> {
  const rates = Object.fromEntries(
    Object.entries({ transient: f.transient, permanent: f.permanent, timeout: f.timeout, lostAck: f.lostAck })
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, num(v)]),
  );
  const options: Record<string, unknown> = {
    workflows: num(f.workflows),
    types: f.types?.split(',').map((t) => t.trim()).filter(Boolean),
    rates: Object.keys(rates).length ? rates : undefined,
    workers: num(f.workers),
    kills: num(f.kills),
    killWindowSeconds: num(f.killWindow),
    respawn: f.respawn,
    supervisor: f.supervisor,
    workflowTaskTimeout: f.workflowTaskTimeout,
    stickyTimeout: f.stickyTimeout,
    serverRestart: f.serverRestart,
    target: f.target,
    clusterDir: f.clusterDir,
    nodeKills: num(f.nodeKills),
    nodeDownSeconds: num(f.nodeDown),
    seed: num(f.seed),
    timeLimitSeconds: num(f.timeLimit),
    reportFile: f.report,
    store: f.store,
    json: f.json,
    progress: f.progress === false ? false : undefined,
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
}

/**
 * The `chaos` command. `exit` receives the exit code (default: sets process.exitCode).
 * @example
 * program.addCommand(chaosCommand());
 */
export function chaosCommand(ext: ChaosExtensions = {}, exit: (code: number) => void = (c) => (process.exitCode = c)): Command {
  return new Command('chaos')
    .description('run workflows under injected faults, worker kills and an optional server restart; measure and verify')
    .option('--workflows <n>', 'number of workflow runs (1-5000)', '10')
    .option('--types <list>', 'comma-separated workflow types (default: every type under chaos in the project)')
    .option('--transient <rate>', 'per activity call: probability of a transient fault (0-1)')
    .option('--permanent <rate>', 'per activity call: probability of a permanent fault (0-1)')
    .option('--timeout <rate>', 'per activity call: probability of a hang past the timeout (0-1)')
    .option('--lost-ack <rate>', 'per activity call: probability of a lost reply after the effect (0-1)')
    .option('--workers <n>', 'worker processes (1-8)')
    .option('--kills <n>', 'worker SIGKILLs (0-2000)')
    .option('--kill-window <seconds>', 'the runs start evenly over this many seconds, and the kills (and the restart) happen within them')
    .option('--no-respawn', 'do not replace killed workers')
    .option('--supervisor', 'run the workers under a failover supervisor (as "steadfast worker --processes" does)')
    .option('--workflow-task-timeout <duration>', "the runs' workflow task timeout (default 5s), e.g. 1s")
    .option('--sticky-timeout <duration>', "the workers' sticky schedule-to-start timeout (default 2s), e.g. 500ms")
    .option('--server-restart', 'restart the Temporal server once')
    .option('--target <dev|cluster>', 'dev: a dev server of its own; cluster: the cluster of "steadfast cluster up"')
    .option('--cluster-dir <dir>', 'the cluster\'s folder (default .steadfast/cluster)')
    .option('--node-kills <n>', 'server-node SIGKILLs, one node down at a time (cluster target, 0-20)')
    .option('--node-down <seconds>', 'a killed node is restarted after this many seconds (default 8)')
    .option('--seed <n>', 'seed of every random choice (printed when not given)')
    .option('--time-limit <seconds>', 'hard limit of the whole run')
    .option('--report <file>', 'write the HTML report here')
    .option('--store <url>', 'effect store URL for this run (default: a fresh SQLite file)')
    .option('--json', 'print the result as JSON')
    .addOption(new Option('--no-progress', 'no progress bar'))
    .action(async (flags: Flags) => {
      try {
        const report = await runChaos(flagsToOptions(flags), ext);
        console.log(flags.json ? JSON.stringify(report, null, 2) : formatSummary(report));
        exit(report.passed ? 0 : 1);
      } catch (err) {
        if (err instanceof ChaosUsageError) {
          // With --json, stdout holds exactly one JSON document, an error included.
          if (flags.json) console.log(JSON.stringify({ error: { code: 'invalid-input', message: err.message } }, null, 2));
          else console.error(err.message);
          exit(2);
          return;
        }
        throw err;
      }
    });
}

/** `npm run chaos -- [flags]`. */
async function main(): Promise<void> {
  installRuntime('ERROR');
  let code = 0;
  const cmd = chaosCommand({}, (c) => (code = c)).exitOverride();
  try {
    await cmd.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; everything else commander rejects is bad usage.
      return exitWhenFlushed(err.exitCode === 0 ? 0 : 2);
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    return exitWhenFlushed(1);
  }
  exitWhenFlushed(code);
}

if (require.main === module) void main();
