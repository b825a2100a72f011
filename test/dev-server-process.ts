/**
 * A dev server run as a child process under the test's direct control, so that it can be killed
 * and restarted on the same SQLite file and port (`platform/servers.ts` hides the process behind the
 * SDK's test environment, which cannot restart it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { resolveServer } from '../src/platform/provision';
import { type Exit, waitUntil } from 'steadfast/testing';

/** The `temporal` binary, resolved as everywhere else (`platform/provision.ts`). */
export function temporalCliPath(): string {
  const { executable, attempts } = resolveServer('cli');
  if (executable.type !== 'existing-path') {
    throw new Error(
      `the server-restart test needs a local Temporal CLI binary; run "npm run setup:temporal". Tried:\n` +
        attempts.map((a) => `  ${a.source}: ${a.detail}`).join('\n'),
    );
  }
  return executable.path;
}

/** A running `temporal server start-dev` child process. */
export class DevServerProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  readonly output: string[] = [];

  constructor(
    readonly dbFile: string,
    readonly port: number,
  ) {
    this.child = spawn(
      temporalCliPath(),
      ['server', 'start-dev', '--db-filename', dbFile, '--ip', '127.0.0.1', '--port', String(port), '--headless', '--log-level', 'error'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 50) this.output.shift();
    };
    this.child.stdout!.on('data', keep);
    this.child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Resolves once the frontend answers and the default namespace is served. */
  async ready(timeoutMs = 30_000): Promise<void> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    await waitUntil(
      async () => {
        if (exited) throw new Error(`the dev server exited:\n${this.output.join('')}`);
        const connection = await Connection.connect({ address: this.address, connectTimeout: 1000 });
        try {
          await connection.workflowService.describeNamespace({ namespace: 'default' });
          return true;
        } finally {
          await connection.close();
        }
      },
      { timeoutMs, intervalMs: 200, what: `the dev server on ${this.address}` },
    );
  }

  /** Sends a signal (default SIGKILL) and waits for the process to exit. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}
