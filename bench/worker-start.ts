/**
 * `npm run bench:worker-start`: how long a worker process (`steadfast worker`) takes from its spawn
 * to polling (the server lists it among the task queue's pollers), bundling at its start vs loading
 * a bundle built once (`STEADFAST_WORKFLOW_BUNDLE`, as the chaos harness does). Small and bounded:
 * a loopback dev server, SAMPLES workers of each kind started one after another.
 *
 * With a built `dist/` (`npm run build`), a third lane runs the compiled package
 * (`STEADFAST_FROM_DIST=1`), as an installed Steadfast does.
 *
 *   SAMPLES=3 npm run bench:worker-start
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { WorkerPool } from '../src/chaos/worker-pool';
import { loadProject } from '../src/config/load';
import { PROJECT_ROOT } from '../src/platform/config';
import { startDevServer } from '../src/platform/servers';
import { workflowBundle } from '../src/worker/create-worker';

async function main(): Promise<void> {
  const samples = Number(process.env.SAMPLES ?? 3);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'steadfast-worker-start-'));
  const server = await startDevServer();
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  try {
    const t = Date.now();
    const bundlePath = path.join(dir, 'workflow-bundle.js');
    fs.writeFileSync(bundlePath, (await workflowBundle(loadProject())).code);
    console.log(`bundle built once in ${Date.now() - t} ms`);
    const dist = fs.existsSync(path.join(PROJECT_ROOT, 'dist', 'cli', 'cli.js'));
    if (!dist) console.log('no dist/ (npm run build): the built-package lane is skipped');
    const lanes = [
      ['bundling at start', false, {}],
      ['pre-built bundle', true, {}],
      // What an installed package runs: the compiled JavaScript, not the sources through tsx, and
      // the project's TypeScript (its config, activities) importing that same `steadfast`. The
      // checkout's tsconfig maps `steadfast/*` to the sources, which would load Steadfast twice;
      // tsconfig.build.json maps nothing, as a user's own tsconfig does.
      ...(dist
        ? ([['pre-built, dist/', true, { STEADFAST_FROM_DIST: '1', TSX_TSCONFIG_PATH: path.join(PROJECT_ROOT, 'tsconfig.build.json') }]] as const)
        : []),
    ] as const;
    for (const [label, withBundle, env] of lanes) {
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const pool = new WorkerPool({
          address: server.address,
          namespace: server.namespace,
          taskQueue: `worker-start-${process.pid}-${label.replace(/\W/g, '')}-${i}`,
          storeUrl: `sqlite:${path.join(dir, `effects-${i}.db`)}`,
          logDir: dir,
          client,
          bundlePath: withBundle ? bundlePath : undefined,
          env,
        });
        const w = await pool.start();
        times.push(w.readyAt! - w.spawnedAt);
        await pool.stopAll();
      }
      console.log(`${label.padEnd(18)} start → polling: ${times.map((ms) => `${(ms / 1000).toFixed(2)} s`).join(', ')}`);
    }
    console.log(`load average: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')} on ${os.cpus().length} cores`);
  } finally {
    await connection.close();
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
