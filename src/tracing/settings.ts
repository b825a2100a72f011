/**
 * Whether Steadfast's processes trace, and where spans go. Read from the environment by
 * `loadConfig` (platform/config.ts) and from `tracing` in `steadfast.config.ts`; the environment
 * wins:
 *
 *   STEADFAST_TRACE=1           turns tracing on (`0` turns it off, whatever the config says)
 *   STEADFAST_TRACE_FILE        the JSON Lines file spans are appended to (default .steadfast/traces.jsonl)
 *   STEADFAST_OTLP_ENDPOINT     an OTLP/HTTP collector (`http://host:4318`, or its full `/v1/traces` URL)
 *   STEADFAST_TRACE_SERVICE     the `service.name` resource attribute (default `steadfast-worker`,
 *                               `steadfast-cli`, …, by process)
 *
 * With a collector named, spans go only there unless a file is named too; without one, they go
 * to the file, which `steadfast trace <workflowId>` reads.
 */
import path from 'node:path';

/** Tracing as `steadfast.config.ts` declares it (`tracing: { … }`); its presence turns tracing on. */
export interface ProjectTracing {
  /** Default `true`: declaring `tracing` turns it on. `STEADFAST_TRACE=0` still turns it off. */
  enabled?: boolean;
  /** The JSON Lines file (relative to the project root); default `.steadfast/traces.jsonl` when no collector is named. */
  file?: string;
  /** An OTLP/HTTP collector, e.g. `http://127.0.0.1:4318`. */
  otlpEndpoint?: string;
  /** The `service.name` of this project's processes. */
  serviceName?: string;
}

/** Tracing as the environment sets it; `enabled` undefined: the environment does not say. */
export interface TracingEnv {
  /** `STEADFAST_TRACE`: true for `1`, false for `0`, absent when unset. */
  enabled?: boolean;
  /** `STEADFAST_TRACE_FILE`, resolved to an absolute path. */
  file?: string;
  /** `STEADFAST_OTLP_ENDPOINT`, as an OTLP/HTTP traces URL. */
  otlpEndpoint?: string;
  /** `STEADFAST_TRACE_SERVICE`. */
  serviceName?: string;
}

/** Where a tracing process sends its spans. */
export interface TracingTargets {
  /** The JSON Lines file (absolute), if spans go to one. */
  file?: string;
  /** The OTLP/HTTP traces URL (ending in `/v1/traces`), if spans go to a collector. */
  otlpEndpoint?: string;
  /** The `service.name` resource attribute of the process's spans. */
  serviceName?: string;
}

/** Thrown for a tracing setting that cannot be used; the message names the variable or field. */
export class TracingConfigError extends Error {
  override readonly name = 'TracingConfigError';
}

/** The file spans go to when tracing is on and nothing else is said, under the state directory. */
export function defaultTraceFile(stateDir: string): string {
  return path.join(stateDir, 'traces.jsonl');
}

/**
 * An OTLP/HTTP endpoint as the exporter wants it: a collector's base URL gets `/v1/traces`.
 * @throws TracingConfigError naming `field` when it is not an http(s) URL
 */
export function otlpTracesUrl(value: string, field: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TracingConfigError(`${field} must be an http(s) URL such as http://127.0.0.1:4318; got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TracingConfigError(`${field} must be an http(s) URL (OTLP over HTTP) such as http://127.0.0.1:4318; got "${value}"`);
  }
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1/traces';
  return url.toString();
}

function readEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

/** Reads the tracing variables. @throws TracingConfigError naming the variable */
export function tracingFromEnv(env: NodeJS.ProcessEnv = process.env): TracingEnv {
  const flag = readEnv(env, 'STEADFAST_TRACE')?.toLowerCase();
  if (flag !== undefined && !['0', '1', 'true', 'false'].includes(flag)) {
    throw new TracingConfigError(`STEADFAST_TRACE must be 1 (on) or 0 (off); got "${flag}"`);
  }
  const endpoint = readEnv(env, 'STEADFAST_OTLP_ENDPOINT');
  const file = readEnv(env, 'STEADFAST_TRACE_FILE');
  const serviceName = readEnv(env, 'STEADFAST_TRACE_SERVICE');
  return {
    ...(flag !== undefined ? { enabled: flag === '1' || flag === 'true' } : {}),
    ...(file ? { file: path.resolve(file) } : {}),
    ...(endpoint ? { otlpEndpoint: otlpTracesUrl(endpoint, 'STEADFAST_OTLP_ENDPOINT') } : {}),
    ...(serviceName ? { serviceName } : {}),
  };
}

/**
 * Where spans go, from the environment and the project's declaration, or undefined when tracing
 * is off. `root` resolves a relative `file` of the project; `stateDir` holds the default file.
 * @throws TracingConfigError naming `tracing.otlpEndpoint` when the project's endpoint is unusable
 */
export function resolveTracing(
  env: TracingEnv,
  project: ProjectTracing | undefined,
  dirs: { root: string; stateDir: string },
): TracingTargets | undefined {
  const enabled = env.enabled ?? (project !== undefined && project.enabled !== false);
  if (!enabled) return undefined;
  const otlpEndpoint =
    env.otlpEndpoint ?? (project?.otlpEndpoint ? otlpTracesUrl(project.otlpEndpoint, 'tracing.otlpEndpoint') : undefined);
  const namedFile = env.file ?? (project?.file ? path.resolve(dirs.root, project.file) : undefined);
  const file = namedFile ?? (otlpEndpoint ? undefined : defaultTraceFile(dirs.stateDir));
  const serviceName = env.serviceName ?? project?.serviceName;
  return { ...(file ? { file } : {}), ...(otlpEndpoint ? { otlpEndpoint } : {}), ...(serviceName ? { serviceName } : {}) };
}

/**
 * The JSON Lines file `steadfast trace` reads: the one processes write to (the environment's, else
 * the project's), else the default; `source` names where it came from, for error messages.
 */
export function traceFileOf(
  env: TracingEnv,
  project: ProjectTracing | undefined,
  dirs: { root: string; stateDir: string },
): { file: string; source: string } {
  if (env.file) return { file: env.file, source: 'STEADFAST_TRACE_FILE' };
  if (project?.file) return { file: path.resolve(dirs.root, project.file), source: 'tracing.file in steadfast.config.ts' };
  return { file: defaultTraceFile(dirs.stateDir), source: 'the default; STEADFAST_TRACE_FILE names another' };
}
