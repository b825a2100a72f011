/**
 * The reference application's worker process: `npm run worker` (`tsx workers/main.ts`). The crash
 * tests, the failover benchmark and the chaos harness spawn it; `steadfast worker` runs the same
 * `runWorker` in the CLI's process. Configuration: see `runWorker` in `steadfast/worker`.
 *
 * Prints one line `steadfast-worker-ready {json}` once it polls, so harnesses can wait for it.
 * Exit codes: 0 after a graceful shutdown, 1 on a failure (an unreachable server names the
 * address it tried), 2 on a bad setting (the message names the variable).
 */
import { ConfigError, installRuntime, runWorker } from 'steadfast/worker';
import project from '../steadfast.config';

/** The prefix of the line a worker process prints once it polls; harnesses wait for it. */
export const WORKER_READY_MARKER = 'steadfast-worker-ready ';

/** Runs the worker until a shutdown signal; resolves with the process exit code. */
export async function runWorkerProcess(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let identity = 'worker';
  try {
    installRuntime('WARN');
    await runWorker({
      project,
      env,
      onReady: (ready) => {
        identity = ready.identity;
        console.log(`${WORKER_READY_MARKER}${JSON.stringify(ready)}`);
      },
    });
    console.log(`steadfast worker ${identity}: shut down cleanly`);
    return 0;
  } catch (err) {
    console.error(`steadfast worker ${identity}: ${err instanceof Error ? err.message : String(err)}`);
    return err instanceof ConfigError ? 2 : 1;
  }
}

if (require.main === module) {
  runWorkerProcess().then(
    (code) => process.exit(code),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
