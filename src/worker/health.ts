/**
 * Liveness and readiness of a worker process over HTTP, for Kubernetes probes, systemd or a load
 * balancer's health checks (`STEADFAST_HEALTH_PORT`; off unless set):
 *
 *   GET /healthz  200 while the process answers and its worker has not failed; 503 once it has
 *   GET /readyz   200 while the worker polls its task queue; 503 while it starts (connection, effect
 *                 store, workflow bundle) and from the shutdown signal on, while it drains
 *
 * Both answer `{"status":"ok"|"unavailable","state":"…"}`; HEAD answers the same status without a
 * body. Liveness stays 200 through a drain, so that a probe never kills a worker that is finishing
 * its in-flight activities inside the termination grace period.
 *
 * It listens on 127.0.0.1 unless a host is named (`0.0.0.0:8080` in a container, where the kubelet
 * probes the pod's address). It reveals only the worker's state: no configuration, no identity.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the probes report, read at each request. */
export interface WorkerProbe {
  /** False once the worker has failed: restart the process. */
  live: boolean;
  /** True while the worker polls its task queue and no shutdown has been asked for. */
  ready: boolean;
  /** The worker's state, as the SDK names it, or `STARTING` before the worker exists. */
  state: string;
}

/** A running health endpoint. */
export interface HealthServer {
  /** `host:port` it listens on (the real port when 0 was asked for). */
  readonly address: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Serves `/healthz` and `/readyz` on `bind` (`host:port`), answering from `probe` at each request.
 * @throws Error naming STEADFAST_HEALTH_PORT when it cannot listen there (e.g. the port is in use)
 */
export async function startHealthServer(bind: string, probe: () => WorkerProbe): Promise<HealthServer> {
  const separator = bind.lastIndexOf(':');
  const host = bind.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
  const port = Number(bind.slice(separator + 1));
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/healthz' && path !== '/readyz') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: use /healthz or /readyz\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const p = probe();
    const ok = path === '/healthz' ? p.live : p.ready;
    const body = JSON.stringify({ status: ok ? 'ok' : 'unavailable', state: p.state }) + '\n';
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  // A probe is one short request: no keep-alive connection should hold the process at exit.
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`STEADFAST_HEALTH_PORT: cannot listen on ${bind}: ${err.code ?? err.message}`, { cause: err })),
    );
    server.listen(port, host, () => resolve());
  });
  const info = server.address() as AddressInfo;
  const shownHost = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return {
    address: `${shownHost}:${info.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
