/**
 * Reads the SDK's Prometheus endpoint (see platform/runtime.ts): fetches `/metrics` and parses the
 * sample lines of the text exposition format, `name{label="value",…} value [timestamp]`.
 *
 * Only sample lines are read (comments and `# TYPE` lines are skipped), which is all the harness
 * needs to sum counters. No well-kept npm parser of this format exists; the grammar of a sample
 * line is small and fixed by the format's specification.
 */

/** One sample: a metric name, its labels and its value. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/g;

/** Parses the sample lines of a Prometheus text exposition. */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) {
      labels[l[1]] = l[2].replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

/** Fetches and parses an endpoint; rejects when it does not answer 200 within `timeoutMs`. */
export async function scrape(url: string, timeoutMs = 2_000): Promise<Sample[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status}`);
  return parsePrometheusText(await res.text());
}

/** Sum of the samples named `name` whose labels include every pair in `where`. */
export function sumOf(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** The counters the harness reports per worker (names as the SDK's core exports them). */
export const WORKER_COUNTERS = [
  'temporal_activity_execution_failed',
  'temporal_activity_task_received',
  'temporal_workflow_completed',
  'temporal_workflow_failed',
  'temporal_workflow_task_execution_failed',
  'temporal_sticky_cache_hit',
] as const;

/** The {@link WORKER_COUNTERS} of one scrape, summed over their labels. */
export function workerCounters(samples: readonly Sample[]): Record<string, number> {
  return Object.fromEntries(WORKER_COUNTERS.map((name) => [name, sumOf(samples, name)]));
}
