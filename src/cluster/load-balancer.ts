/**
 * The cluster's front door: HAProxy (Debian's package) on loopback, in TCP mode, in front of the
 * three frontends. Clients and workers use its one address; when the frontend a connection went to
 * dies, the connection breaks, the SDK reconnects, and HAProxy sends the new connection to a live
 * frontend (its health checks take a dead one out within about a second, and `option redispatch`
 * retries a connect that fails before that).
 *
 * HAProxy is found at `STEADFAST_HAPROXY_PATH`, else on PATH or in /usr/sbin, else installed with
 * `apt-get install haproxy` when running as root (as `.ci/postgres` installs PostgreSQL).
 */
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { isExecutableFile } from '../platform/provision';

/** One step of finding HAProxy. */
export interface LbAttempt {
  source: 'env' | 'path' | 'apt-get';
  detail: string;
  ok: boolean;
}

/** Raised when HAProxy cannot be found or installed; lists what was tried. */
export class LoadBalancerProvisioningError extends Error {
  override readonly name = 'LoadBalancerProvisioningError';
  constructor(readonly attempts: LbAttempt[]) {
    super(
      'could not find or install HAProxy for the cluster\'s load balancer. Tried, in order:\n' +
        attempts.map((a, i) => `  ${i + 1}. ${a.source}: ${a.detail}`).join('\n') +
        '\nInstall it with "apt-get install haproxy", set STEADFAST_HAPROXY_PATH, or run "steadfast cluster up --no-lb".',
    );
  }
}

function onPath(env: NodeJS.ProcessEnv): string | undefined {
  const dirs = [...(env.PATH ?? '').split(path.delimiter), '/usr/sbin', '/usr/local/sbin'];
  return dirs.map((d) => path.join(d, 'haproxy')).find((f) => f !== 'haproxy' && isExecutableFile(f));
}

/**
 * The HAProxy binary.
 * @throws LoadBalancerProvisioningError listing what was tried
 */
export function resolveHaproxy(env: NodeJS.ProcessEnv = process.env): string {
  const attempts: LbAttempt[] = [];
  const explicit = env.STEADFAST_HAPROXY_PATH?.trim();
  if (explicit) {
    if (isExecutableFile(explicit)) return explicit;
    attempts.push({ source: 'env', detail: `STEADFAST_HAPROXY_PATH=${explicit} is not an executable file`, ok: false });
  } else {
    attempts.push({ source: 'env', detail: 'STEADFAST_HAPROXY_PATH is not set', ok: false });
  }
  const found = onPath(env);
  if (found) return found;
  attempts.push({ source: 'path', detail: 'no "haproxy" on PATH, in /usr/sbin or /usr/local/sbin', ok: false });
  if (process.getuid?.() !== 0) {
    attempts.push({ source: 'apt-get', detail: 'not root, so not installing it with apt-get', ok: false });
    throw new LoadBalancerProvisioningError(attempts);
  }
  const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', 'haproxy'], { encoding: 'utf8', env: aptEnv, timeout: 10 * 60_000 });
  if (r.status !== 0) {
    // The package lists may be missing or old on a fresh machine.
    spawnSync('apt-get', ['update', '-qq'], { encoding: 'utf8', env: aptEnv, timeout: 10 * 60_000 });
    r = spawnSync('apt-get', ['install', '-y', '-qq', 'haproxy'], { encoding: 'utf8', env: aptEnv, timeout: 10 * 60_000 });
  }
  const installed = onPath(env);
  if (installed) return installed;
  attempts.push({
    source: 'apt-get',
    detail: `apt-get install haproxy: exit ${r.status ?? r.error?.message}: ${(r.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`,
    ok: false,
  });
  throw new LoadBalancerProvisioningError(attempts);
}

/** The HAProxy configuration: TCP on `port`, least-connections over the frontends, 500 ms health checks. */
export function haproxyConfig(opts: { port: number; frontends: Array<{ name: string; address: string }>; statsSocket: string }): string {
  return `# Written by steadfast cluster up. TCP load balancer in front of the cluster's frontends.
global
  maxconn 2000
  stats socket ${opts.statsSocket} mode 600 level admin

defaults
  mode tcp
  timeout connect 1s
  # Long polls hold a gRPC stream for about a minute; idle connections may stay open longer.
  timeout client 1h
  timeout server 1h
  retries 3
  option redispatch

frontend temporal
  bind 127.0.0.1:${opts.port}
  default_backend frontends

backend frontends
  balance leastconn
${opts.frontends.map((f) => `  server ${f.name} ${f.address} check inter 500ms fall 1 rise 2`).join('\n')}
`;
}

/** One backend line of HAProxy's `show stat`: a frontend, whether HAProxy sees it up, its connections. */
export interface BackendStat {
  name: string;
  status: string;
  /** Connections open to it now. */
  current: number;
  /** Connections it has had in all. */
  total: number;
}

/** Reads the backends' state from HAProxy's stats socket. */
export async function readBackendStats(statsSocket: string): Promise<BackendStat[]> {
  const csv = await new Promise<string>((resolve, reject) => {
    const socket = net.createConnection(statsSocket);
    let out = '';
    socket.setTimeout(3_000, () => socket.destroy(new Error(`no answer from ${statsSocket}`)));
    socket.on('connect', () => socket.write('show stat\n'));
    socket.on('data', (chunk) => (out += chunk.toString()));
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
  });
  const [header, ...lines] = csv.trim().split('\n');
  const cols = header.replace(/^# /, '').split(',');
  const col = (row: string[], name: string) => row[cols.indexOf(name)];
  return lines
    .map((l) => l.split(','))
    .filter((row) => col(row, 'pxname') === 'frontends' && !['FRONTEND', 'BACKEND'].includes(col(row, 'svname')))
    .map((row) => ({ name: col(row, 'svname'), status: col(row, 'status'), current: Number(col(row, 'scur')), total: Number(col(row, 'stot')) }));
}
