/**
 * The result of a chaos run (`ChaosReport`): what `--json` prints, what the HTML report draws, and
 * the terminal summary.
 */
import type { NodeKillRecord } from '../cluster';
import type { KillRecord } from './fault-records';
import type { InvariantVerdict } from './invariants';
import type { FaultRecord, ReliabilityMetrics } from './metrics';
import type { ChaosOptions } from './options';
import type { RunRecord } from './workflow-types';

/** Outcomes of one workflow type's runs. */
export interface TypeOutcomes {
  runs: number;
  completed: number;
  /** Failed, as their fault plan or input required (a permanent fault, a business rejection, a failed compensation). */
  failedAsPlanned: number;
  /** Ended in the wrong state. */
  incorrect: number;
  notTerminal: number;
}

/** One worker process and the SDK counters last scraped from its Prometheus endpoint. */
export interface WorkerSummary {
  identity: string;
  pid: number;
  killed: boolean;
  /** When the server first listed it polling (epoch ms); unset for one that never got there. */
  readyAt?: number;
  counters: Record<string, number>;
}

/** A server restart: when the harness stopped the server, and when it was serving again. */
export interface ServerRestartRecord {
  stoppedAt: number;
  upAt: number;
}

/** Everything a chaos run measured and checked. */
export interface ChaosReport {
  seed: number;
  options: ChaosOptions;
  /** Temporal server address (loopback). */
  server: string;
  startedAt: number;
  finishedAt: number;
  window: { start: number; end: number };
  runs: RunRecord[];
  outcomesByType: Record<string, TypeOutcomes>;
  faults: FaultRecord[];
  metrics: ReliabilityMetrics;
  invariants: InvariantVerdict[];
  /** True when every invariant holds. */
  passed: boolean;
  /**
   * Every kill the harness made, with the number of fault records it caused (`noticed`): 0 for a
   * kill that interrupted nothing, which is no fault.
   */
  kills: Array<KillRecord & { noticed: number }>;
  /**
   * Kills the seed planned. The harness kills only ready workers and waits for one when none is
   * ready, so fewer were carried out (`kills.length`) only when the runs closed or the time limit
   * came first.
   */
  killsPlanned?: number;
  serverRestarts: ServerRestartRecord[];
  /** Server-node kills (cluster target): when, which shards, when they moved, when the node was back. */
  nodeKills: NodeKillRecord[];
  workers: WorkerSummary[];
  reportFile?: string;
}

/** Tallies runs by type. */
export function outcomesByType(runs: readonly RunRecord[]): Record<string, TypeOutcomes> {
  const out: Record<string, TypeOutcomes> = {};
  for (const r of runs) {
    const o = (out[r.workflowType] ??= { runs: 0, completed: 0, failedAsPlanned: 0, incorrect: 0, notTerminal: 0 });
    o.runs++;
    if (r.status === 'running') o.notTerminal++;
    else if (!r.outcomeCorrect) o.incorrect++;
    else if (r.status === 'completed') o.completed++;
    else o.failedAsPlanned++;
  }
  return out;
}

function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  return v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

/** "3 of 4 planned kill(s)", or "3 kill(s)" for a report without the plan. */
export function killsCarriedOut(r: Pick<ChaosReport, 'kills' | 'killsPlanned'>): string {
  return r.killsPlanned === undefined ? `${r.kills.length} kill(s)` : `${r.kills.length} of ${r.killsPlanned} planned kill(s)`;
}

/** The terminal summary: a few lines a person reads after the progress bar. */
export function formatSummary(r: ChaosReport): string {
  const m = r.metrics;
  const lines = [
    `chaos run, seed ${r.seed}: ${r.runs.length} runs of ${Object.keys(r.outcomesByType).join(', ')} on ${r.options.workers} workers, ` +
      `${killsCarriedOut(r)} (${r.kills.filter((k) => k.noticed > 0).length} noticed by the server)${r.serverRestarts.length ? `, ${r.serverRestarts.length} server restart(s)` : ''}` +
      `${r.nodeKills.length ? `, ${r.nodeKills.length} server-node kill(s)` : ''}, ` +
      `${((r.finishedAt - r.startedAt) / 1000).toFixed(1)} s`,
    ...(r.options.supervisor || r.options.workflowTaskTimeout || r.options.stickyTimeout
      ? [
          `  workers           ${r.options.supervisor ? 'under a failover supervisor' : 'respawned by the harness'}; workflow task timeout ` +
            `${r.options.workflowTaskTimeout ?? 'Steadfast\'s'}, sticky timeout ${r.options.stickyTimeout ?? 'Steadfast\'s'}`,
        ]
      : []),
    '',
    `  faults            ${m.faults}  (${Object.entries(m.faultsByKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`,
    `  MTBF              ${m.mtbfMs === null ? 'no fault' : ms(m.mtbfMs)}   λ = ${m.failureRatePerSecond.toFixed(3)} faults/s over ${ms(m.windowMs)}`,
    `  T_FD  p50/p95/max ${ms(m.tFD.p50)} / ${ms(m.tFD.p95)} / ${ms(m.tFD.max)}  (${m.tFD.count} faults)`,
    `  T_R   p50/p95/max ${ms(m.tR.p50)} / ${ms(m.tR.p95)} / ${ms(m.tR.max)}  (${m.tR.count})`,
    `  T_RT  p50/p95/max ${ms(m.tRT.p50)} / ${ms(m.tRT.p95)} / ${ms(m.tRT.max)}  (${m.tRT.count})`,
    `  fault tolerance   ${m.faultTolerance.rate === null ? '— (no fault)' : `${(m.faultTolerance.rate * 100).toFixed(1)} %`}` +
      ` (${m.faultTolerance.tolerated} of ${m.faultTolerance.total} faults followed by the correct terminal state)`,
    ...r.nodeKills.map(
      (k) =>
        `  node${k.node} killed: shards ${k.shards.join(',') || 'none'} taken over after ${k.takeoverAt ? ms(k.takeoverAt - k.at) : '—'}` +
        (k.error ? `; ${k.error}` : `; restarted after ${k.restartedAt ? ms(k.restartedAt - k.at) : '—'}, owned shards again after ${k.rejoinedAt ? ms(k.rejoinedAt - k.at) : '—'}`),
    ),
    '',
    '  outcomes:',
    ...Object.entries(r.outcomesByType).map(
      ([t, o]) =>
        `    ${t.padEnd(18)} ${o.completed} completed, ${o.failedAsPlanned} failed as planned, ${o.incorrect} incorrect, ${o.notTerminal} not terminal`,
    ),
    '',
    '  invariants:',
    ...r.invariants.flatMap((v) => [
      `    ${v.holds ? 'ok  ' : 'FAIL'} ${v.name} (${v.checked} checked)`,
      ...v.violations.slice(0, 10).map((x) => `         ${x}`),
      ...(v.violations.length > 10 ? [`         … and ${v.violations.length - 10} more`] : []),
      ...(v.notes ?? []).slice(0, 10).map((x) => `         note: ${x}`),
    ]),
    '',
    `  verdict: ${r.passed ? 'PASS: every invariant holds' : 'FAIL: an invariant is violated'}`,
  ];
  if (r.reportFile) lines.push(`  report:  ${r.reportFile}`);
  return lines.join('\n');
}
