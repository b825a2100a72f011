/**
 * Running the real `steadfast` CLI (bin/steadfast.js) as a subprocess, for the CLI tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { waitUntil } from 'steadfast/testing';

/** The CLI's entry point, as `npx steadfast` runs it. */
export const CLI_BIN = path.resolve(__dirname, '..', 'bin', 'steadfast.js');

/** What one CLI invocation printed and how it exited. */
export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a CLI child: ours, with `overrides` applied (undefined removes a variable). */
export function cliEnv(overrides: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...overrides };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete env[key];
  return env;
}

/** Runs `steadfast <args>` to completion (in `cwd`, a project's folder; default ours). */
export function runCli(args: string[], env: Record<string, string | undefined>, cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { cwd, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses the CLI's `--json` stdout, with the output in the error when it is not JSON. */
export function parseJson<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not JSON (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** A long-running CLI command (server, worker) whose JSON Lines output is collected. */
export interface CliProcess {
  child: ChildProcess;
  /** Every stdout line that parsed as JSON. */
  events: Record<string, unknown>[];
  /** Stdout lines that are not JSON: none, when the command keeps its --json contract. */
  stray: string[];
  output(): string;
  /** Waits for the event `name` (e.g. `ready`) and returns it. */
  waitFor(name: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends `signal` and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `steadfast <args> --json` in the background. */
export function spawnCli(args: string[], env: Record<string, string | undefined>): CliProcess {
  const child = spawn(process.execPath, [CLI_BIN, ...args, '--json'], { env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Record<string, unknown>[] = [];
  const stray: string[] = [];
  let text = '';
  readline.createInterface({ input: child.stdout! }).on('line', (line) => {
    text += `${line}\n`;
    try {
      events.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      stray.push(line);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (text += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    events,
    stray,
    output: () => text,
    waitFor: (name, timeoutMs = 60_000) =>
      waitUntil(
        () => {
          if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} before "${name}":\n${text}`);
          return events.find((e) => e.event === name);
        },
        { timeoutMs, what: `the "${name}" event of steadfast ${args.join(' ')}` },
      ),
    stop: (signal = 'SIGINT') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
