/**
 * Server-node kills as a fault: SIGKILL a node on a schedule, watch its shards move to the
 * survivors (the shards table's owners), restart it after a while and watch it rejoin (own shards
 * again). Used by the chaos harness (`--target cluster --node-kills n`) and the failover benchmark.
 *
 *   kill ──(membership failure detection, ~5 s)──► survivors own its shards ──► runs go on
 *     ──(downMs)──► restart ──► it rejoins the ring and takes its share back
 *
 * Only one node is down at a time: a kill that falls due while another node is down waits.
 */
import type { temporal } from '@temporalio/proto';
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { isOurProcess, killNode, shardOwners, startNode, type ClusterState } from './cluster';

/** One node kill, as it happened. Times in ms since the epoch. */
export interface NodeKillRecord {
  /** 1-based node index. */
  node: number;
  at: number;
  /** The history shards the node owned when it died. */
  shards: number[];
  /** When no shard was left with the dead node (every one acquired by a survivor). */
  takeoverAt?: number;
  /** When the restarted node's frontend answered. */
  restartedAt?: number;
  /** When the restarted node owned shards again. */
  rejoinedAt?: number;
  /** A restart that failed. */
  error?: string;
}

/** Kills, restarts and observes nodes on a schedule given in ms after the start. */
export class NodeKiller {
  readonly kills: NodeKillRecord[] = [];
  private next = 0;
  private restarting?: Promise<void>;

  /**
   * @param killAt kill moments in ms after the start, ascending
   * @param victims for each kill, a number in [0, 1) that picks the node (a fraction of the node list)
   * @param downMs how long a killed node stays down before it is restarted
   */
  constructor(
    private readonly state: ClusterState,
    private readonly killAt: readonly number[],
    private readonly victims: readonly number[],
    private readonly downMs: number,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  /** True while a kill is due or a killed node has not rejoined yet. */
  busy(): boolean {
    return this.next < this.killAt.length || this.kills.some((k) => !k.rejoinedAt && !k.error);
  }

  /** Does what is due at `sinceStart` ms: a kill, a restart, and the owners' observations. */
  async tick(sinceStart: number): Promise<void> {
    const open = this.kills.find((k) => !k.rejoinedAt && !k.error);
    if (open || this.restarting) {
      await this.observe();
    } else if (this.next < this.killAt.length && sinceStart >= this.killAt[this.next]) {
      await this.killOne(this.victims[this.next] ?? 0);
      this.next++;
    }
    const last = this.kills.at(-1);
    if (last && !last.restartedAt && !last.error && !this.restarting && Date.now() - last.at >= this.downMs) {
      this.restarting = startNode(this.state, last.node)
        .then(() => void (last.restartedAt = Date.now()))
        .catch((err: Error) => {
          last.error = `restart failed: ${err.message}`;
          this.log(`node kills: ${last.error}`);
        })
        .finally(() => (this.restarting = undefined));
    }
  }

  /** Kills the node that `fraction` picks among the running ones, noting the shards it owned. */
  async killOne(fraction: number): Promise<NodeKillRecord | undefined> {
    const running = this.state.nodes.filter((n) => isOurProcess(n.pid, n.configFile));
    if (running.length < 2) return undefined;
    const victim = running[Math.min(running.length - 1, Math.floor(fraction * running.length))];
    const owners = await shardOwners(this.state);
    const shards = [...owners].filter(([, node]) => node === victim.index).map(([s]) => s);
    const at = killNode(this.state, victim.index, 'SIGKILL');
    const record: NodeKillRecord = { node: victim.index, at, shards };
    this.kills.push(record);
    this.log(`node kills: SIGKILLed ${victim.name} (shards ${shards.join(',') || 'none'})`);
    return record;
  }

  /** Reads the shard owners once and fills in takeovers and rejoins. */
  async observe(): Promise<void> {
    const pending = this.kills.filter((k) => !k.takeoverAt || (k.restartedAt && !k.rejoinedAt));
    if (!pending.length) return;
    const owners = await shardOwners(this.state).catch(() => undefined);
    if (!owners) return;
    const now = Date.now();
    for (const k of pending) {
      if (!k.takeoverAt && k.shards.every((s) => owners.get(s) !== k.node)) k.takeoverAt = now;
      if (k.restartedAt && !k.rejoinedAt && [...owners.values()].includes(k.node)) k.rejoinedAt = now;
    }
  }

  /** Waits (bounded) until every killed node is back and owns shards again. */
  async settle(deadline: number): Promise<void> {
    while (this.kills.some((k) => !k.rejoinedAt && !k.error) && Date.now() < deadline) {
      await this.tick(Number.POSITIVE_INFINITY);
      await new Promise((r) => setTimeout(r, 250));
    }
    await this.restarting;
  }
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** A run as the node-kill records need it: its shard and its history. */
export interface RunOnShard {
  workflowId: string;
  workflowType: string;
  shard?: number;
  events: HistoryEvent[];
  outcomeCorrect: boolean;
}

/** A node kill as a fault record (the chaos harness's `FaultRecord` shape, kind `node-kill`). */
export interface NodeKillFault {
  kind: 'node-kill';
  workflowId?: string;
  workflowType?: string;
  step: string;
  injectedAt: number;
  detectedAt?: number;
  recoveredAt?: number;
  outcomeCorrect: boolean;
}

/** The first task a run handled after `after`: a workflow or activity task completed. */
export function firstProgressAfter(events: readonly HistoryEvent[], after: number): number | undefined {
  for (const e of events) {
    const t = optionalTsToMs(e.eventTime) ?? 0;
    if (t > after && (e.workflowTaskCompletedEventAttributes || e.activityTaskCompletedEventAttributes)) return t;
  }
  return undefined;
}

/** When the run closed, or +∞ while it is open. */
function closedAt(events: readonly HistoryEvent[]): number {
  const last = events.at(-1);
  const closing =
    last?.workflowExecutionCompletedEventAttributes ??
    last?.workflowExecutionFailedEventAttributes ??
    last?.workflowExecutionTimedOutEventAttributes ??
    last?.workflowExecutionTerminatedEventAttributes ??
    last?.workflowExecutionCanceledEventAttributes ??
    last?.workflowExecutionContinuedAsNewEventAttributes;
  return closing ? (optionalTsToMs(last?.eventTime) ?? Infinity) : Infinity;
}

/**
 * One fault record per (kill, run it hit): a run hit is one whose shard the dead node owned and
 * that was open at the kill. Injected at the kill, detected when the survivors had taken the shards
 * over, recovered at the run's first handled task after the kill. A kill that hit no run still
 * counts, as one record without a run.
 */
export function nodeKillFaults(kills: readonly NodeKillRecord[], runs: readonly RunOnShard[]): NodeKillFault[] {
  const out: NodeKillFault[] = [];
  for (const k of kills) {
    const step = `server node${k.node}`;
    const hit = runs.filter((r) => {
      if (r.shard === undefined || !k.shards.includes(r.shard)) return false;
      const started = optionalTsToMs(r.events[0]?.eventTime) ?? Infinity;
      return started < k.at && closedAt(r.events) > k.at;
    });
    for (const r of hit) {
      out.push({
        kind: 'node-kill',
        workflowId: r.workflowId,
        workflowType: r.workflowType,
        step,
        injectedAt: k.at,
        detectedAt: k.takeoverAt,
        recoveredAt: firstProgressAfter(r.events, k.at),
        outcomeCorrect: r.outcomeCorrect,
      });
    }
    if (!hit.length) {
      out.push({ kind: 'node-kill', step: `${step} (hit no open run)`, injectedAt: k.at, detectedAt: k.takeoverAt, outcomeCorrect: runs.every((r) => r.outcomeCorrect) });
    }
  }
  return out;
}
