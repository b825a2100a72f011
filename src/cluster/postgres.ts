/**
 * The cluster's PostgreSQL: started the way CI starts it (`.ci/postgres start`, with its data inside
 * the cluster's folder) or given as a URL; its schema set up with Temporal's SQL tool; and read
 * back for `status`: the membership table (who is alive) and the shards table (who owns what).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Reader } from 'protobufjs';
import { Client } from 'pg';
import { PROJECT_ROOT } from '../platform/config';
import type { PersistenceTarget } from './node-config';

/** The script that CI uses to start a throwaway PostgreSQL server. */
export const PG_SCRIPT = path.join(PROJECT_ROOT, '.ci', 'postgres');

/** The two databases of a cluster. */
export interface ClusterDatabases {
  database: string;
  visibilityDatabase: string;
}

/** The database names the cluster creates on the server, unless told others (one pair per cluster). */
export const CLUSTER_DATABASES: ClusterDatabases = { database: 'steadfast_temporal', visibilityDatabase: 'steadfast_temporal_visibility' };

/** A cluster's databases from a name prefix: `<prefix>` and `<prefix>_visibility`. */
export function databasesNamed(prefix: string): ClusterDatabases {
  if (!/^[a-z_][a-z0-9_]{0,40}$/.test(prefix)) throw new Error(`--database: expected a lower-case SQL name (letters, digits, _), got "${prefix}"`);
  return { database: prefix, visibilityDatabase: `${prefix}_visibility` };
}

/** A PostgreSQL server the cluster uses; `dataDir` is set when the cluster started it (and stops it). */
export interface ClusterPostgres {
  url: string;
  dataDir?: string;
}

/** Starts a server with `.ci/postgres start`, its data in `parentDir`. */
export function startPostgres(parentDir: string): ClusterPostgres {
  fs.mkdirSync(parentDir, { recursive: true });
  const r = spawnSync(PG_SCRIPT, ['start'], {
    encoding: 'utf8',
    env: { ...process.env, TMPDIR: parentDir, STEADFAST_TEST_PG_PORT: '' },
    timeout: 10 * 60_000,
  });
  if (r.status !== 0) {
    throw new Error(`${PG_SCRIPT} start failed (exit ${r.status ?? r.error?.message}): ${(r.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`);
  }
  const read = (name: string) => new RegExp(`^export ${name}=(.*)$`, 'm').exec(r.stdout)?.[1]?.replace(/^'(.*)'$/, '$1');
  const url = read('STEADFAST_TEST_PG_URL');
  const dataDir = read('STEADFAST_TEST_PG_DIR');
  if (!url || !dataDir) throw new Error(`${PG_SCRIPT} start printed no URL: ${r.stdout}`);
  return { url, dataDir };
}

/** Stops a server that {@link startPostgres} started. */
export function stopPostgres(pg: ClusterPostgres): void {
  if (!pg.dataDir) return;
  spawnSync(PG_SCRIPT, ['stop', pg.dataDir], { encoding: 'utf8', timeout: 120_000 });
}

/** The persistence settings for the nodes, from a server URL. */
export function persistenceFromUrl(url: string, databases: ClusterDatabases = CLUSTER_DATABASES): PersistenceTarget {
  const u = new URL(url);
  if (!/^postgres(ql)?:$/.test(u.protocol)) throw new Error(`--pg-url: expected a postgres:// URL, got "${url}"`);
  return {
    host: u.hostname,
    port: Number(u.port || 5432),
    user: decodeURIComponent(u.username || 'postgres'),
    password: decodeURIComponent(u.password),
    ...databases,
  };
}

/** A URL to one database on the server. */
export function databaseUrl(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function withClient<T>(url: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function sqlTool(sqlToolPath: string, p: PersistenceTarget, database: string, args: string[]): void {
  const r = spawnSync(
    sqlToolPath,
    ['--plugin', 'postgres12', '--ep', p.host, '--port', String(p.port), '--user', p.user, '--password', p.password, '--db', database, ...args],
    { encoding: 'utf8', timeout: 5 * 60_000 },
  );
  if (r.status !== 0) {
    throw new Error(`temporal-sql-tool --db ${database} ${args.join(' ')} failed: ${`${r.stdout}${r.stderr}`.trim().split('\n').slice(-5).join(' | ')}`);
  }
}

/**
 * Creates both databases and brings their schemas to the versions this server ships, with the SQL
 * tool: `create-database`, `setup-schema -v 0.0`, `update-schema -d <versioned dir>`. Safe to run
 * again: what exists is kept and only updated.
 * @returns the schema versions reached, per database
 */
export async function setUpSchemas(
  url: string,
  sqlToolPath: string,
  schemaDir: string,
  databases: ClusterDatabases = CLUSTER_DATABASES,
): Promise<Record<string, string>> {
  const p = persistenceFromUrl(url, databases);
  const versions: Record<string, string> = {};
  for (const [database, schema] of [
    [p.database, 'temporal'],
    [p.visibilityDatabase, 'visibility'],
  ] as const) {
    const exists = await withClient(databaseUrl(url, 'postgres'), async (c) => (await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount);
    if (!exists) sqlTool(sqlToolPath, p, database, ['create-database']);
    const versioned = await withClient(databaseUrl(url, database), async (c) => (await c.query("SELECT to_regclass('schema_version') AS t")).rows[0].t);
    if (!versioned) sqlTool(sqlToolPath, p, database, ['setup-schema', '-v', '0.0']);
    sqlTool(sqlToolPath, p, database, ['update-schema', '-d', path.join(schemaDir, 'postgresql', 'v12', schema, 'versioned')]);
    versions[database] = await withClient(databaseUrl(url, database), async (c) => (await c.query('SELECT curr_version FROM schema_version')).rows[0].curr_version);
  }
  return versions;
}

/** The membership roles, as the `cluster_membership` table numbers them. */
const ROLES: Record<number, string> = { 1: 'frontend', 2: 'history', 3: 'matching', 4: 'worker', 5: 'internal-frontend' };

/** One row of `cluster_membership`: a service of a node, as the ring last heard of it. */
export interface MembershipRow {
  role: string;
  /** `host:port` of its membership (ringpop) port. */
  address: string;
  sessionStart: number;
  lastHeartbeat: number;
  recordExpiry: number;
}

/** The membership table, newest session first. */
export async function readMembership(url: string, database = CLUSTER_DATABASES.database): Promise<MembershipRow[]> {
  return withClient(databaseUrl(url, database), async (c) => {
    const { rows } = await c.query(
      `SELECT role, rpc_address, rpc_port,
              EXTRACT(EPOCH FROM session_start) * 1000 AS session_start,
              EXTRACT(EPOCH FROM last_heartbeat) * 1000 AS last_heartbeat,
              EXTRACT(EPOCH FROM record_expiry) * 1000 AS record_expiry
         FROM cluster_membership ORDER BY session_start DESC`,
    );
    return rows.map((r) => ({
      role: ROLES[r.role as number] ?? `role-${r.role}`,
      address: `${r.rpc_address}:${r.rpc_port}`,
      sessionStart: Number(r.session_start),
      lastHeartbeat: Number(r.last_heartbeat),
      recordExpiry: Number(r.record_expiry),
    }));
  });
}

/** One history shard and the history host that holds it. */
export interface ShardRow {
  shardId: number;
  /** Grows by one each time a host acquires the shard. */
  rangeId: number;
  /** The owner as the server writes it: `<host>:<history gRPC port>-<…>-<uuid>`. */
  owner: string;
  /** The owner's `host:port` (the history service's gRPC address). */
  ownerAddress: string;
}

/**
 * The owner of a shard, read from its `ShardInfo` blob (field 3, `owner`; the server's
 * persistence proto). Only that field is read; the rest is skipped by wire type.
 */
function shardOwner(data: Buffer): string {
  const reader = Reader.create(data);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 3 && (tag & 7) === 2) return reader.string();
    reader.skipType(tag & 7);
  }
  return '';
}

/** The shards table: each shard's owner, as the owners last wrote it. */
export async function readShards(url: string, database = CLUSTER_DATABASES.database): Promise<ShardRow[]> {
  return withClient(databaseUrl(url, database), async (c) => {
    const { rows } = await c.query('SELECT shard_id, range_id, data, data_encoding FROM shards ORDER BY shard_id');
    return rows.map((r) => {
      const owner = /proto3/i.test(String(r.data_encoding)) ? shardOwner(r.data as Buffer) : '';
      return { shardId: Number(r.shard_id), rangeId: Number(r.range_id), owner, ownerAddress: owner.split('-')[0] };
    });
  });
}

/** The shard that holds a workflow's executions (the `executions` table knows). */
export async function shardOfWorkflow(url: string, workflowId: string, database = CLUSTER_DATABASES.database): Promise<number | undefined> {
  return withClient(databaseUrl(url, database), async (c) => {
    const { rows } = await c.query('SELECT shard_id FROM current_executions WHERE workflow_id = $1 LIMIT 1', [workflowId]);
    return rows[0] ? Number(rows[0].shard_id) : undefined;
  });
}
