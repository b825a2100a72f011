/**
 * A run's spans, read back from the JSON Lines file and put in their tree: what `steadfast trace`
 * prints. A run's traces are those holding a span of its workflow id (client spans and activity
 * spans carry `temporalWorkflowId`, workflow spans `workflowId`); each trace is shown whole.
 */
import fs from 'node:fs';
import type { SpanRecord } from './jsonl-exporter';

/** A span and the spans it parents, in start order. */
export interface SpanNode {
  /** The span. */
  span: SpanRecord;
  /** The spans whose parent it is, by start time. */
  children: SpanNode[];
}

/** One trace of a run. */
export interface RunTrace {
  /** The trace's id. */
  traceId: string;
  /** Spans without a recorded parent: the client's start span, or an orphan whose parent was lost. */
  roots: SpanNode[];
  /** How many distinct spans the trace holds. */
  spanCount: number;
  /** The `steadfast.identity` of each process that recorded a span of the trace, in first-seen order. */
  processes: string[];
}

/** What was read from a file: the spans, and the numbers of lines that were not spans. */
export interface SpanFile {
  /** Every span in the file, in file order (a span recorded twice appears twice). */
  spans: SpanRecord[];
  /** 1-based numbers of the lines that were not spans. */
  unreadableLines: number[];
}

function isSpanRecord(v: unknown): v is SpanRecord {
  const r = v as Partial<SpanRecord> | null;
  return typeof r === 'object' && r !== null && typeof r.traceId === 'string' && typeof r.spanId === 'string' && typeof r.name === 'string';
}

/**
 * Reads a span file. A line that is not a span (a process killed mid-write leaves a partial one)
 * is counted, not fatal. Throws the file system's error when the file cannot be read.
 */
export function readSpanFile(file: string): SpanFile {
  const spans: SpanRecord[] = [];
  const unreadableLines: number[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (!line.trim()) return;
      try {
        const parsed: unknown = JSON.parse(line);
        if (isSpanRecord(parsed)) spans.push(parsed);
        else unreadableLines.push(i + 1);
      } catch {
        unreadableLines.push(i + 1);
      }
    });
  return { spans, unreadableLines };
}

/** The workflow id a span belongs to, if it says. */
export function workflowIdOf(span: SpanRecord): string | undefined {
  const id = span.attributes.temporalWorkflowId ?? span.attributes.workflowId;
  return typeof id === 'string' ? id : undefined;
}

/** The process that recorded a span. */
export function processOf(span: SpanRecord): string {
  const r = span.resource;
  return String(r['steadfast.identity'] ?? `${String(r['service.name'] ?? '?')} pid ${String(r['process.pid'] ?? '?')}`);
}

const byStart = (a: SpanNode, b: SpanNode) => a.span.start.localeCompare(b.span.start) || a.span.name.localeCompare(b.span.name);

/**
 * The traces that hold a span of `workflowId`, oldest first, each as a tree. A span recorded twice
 * (a worker exported it, died before completing its workflow task, and another worker ran that
 * task again) appears once.
 */
export function tracesOfWorkflow(spans: SpanRecord[], workflowId: string): RunTrace[] {
  const traceIds = new Set(spans.filter((s) => workflowIdOf(s) === workflowId).map((s) => s.traceId));
  const traces: RunTrace[] = [];
  for (const traceId of traceIds) {
    const nodes = new Map<string, SpanNode>();
    for (const span of spans) {
      if (span.traceId === traceId && !nodes.has(span.spanId)) nodes.set(span.spanId, { span, children: [] });
    }
    const roots: SpanNode[] = [];
    for (const node of nodes.values()) {
      const parent = node.span.parentSpanId ? nodes.get(node.span.parentSpanId) : undefined;
      (parent ? parent.children : roots).push(node);
    }
    for (const node of nodes.values()) node.children.sort(byStart);
    roots.sort(byStart);
    const processes = [...new Set([...nodes.values()].map((n) => processOf(n.span)))];
    traces.push({ traceId, roots, spanCount: nodes.size, processes });
  }
  return traces.sort((a, b) => (a.roots[0]?.span.start ?? '').localeCompare(b.roots[0]?.span.start ?? ''));
}

function formatDuration(ms: number): string {
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function describe(span: SpanRecord): string {
  const a = span.attributes;
  const notes: string[] = [];
  if (typeof a['steadfast.step'] === 'string') notes.push(`${a['steadfast.compensation'] ? 'undoes' : 'step'} ${a['steadfast.step']}`);
  if (typeof a['steadfast.attempt'] === 'number') notes.push(`attempt ${a['steadfast.attempt']}`);
  const status = span.status.code === 'ERROR' ? `ERROR: ${span.status.message ?? ''}`.trim() : span.status.code;
  return `${span.name}${notes.length ? ` [${notes.join(', ')}]` : ''}  ${status}  ${formatDuration(span.durationMs)}  ${processOf(span)}`;
}

/** A trace as indented text, one span per line: name, step, status, duration, the process that recorded it. */
export function formatTrace(trace: RunTrace): string {
  const lines = [`trace ${trace.traceId}: ${trace.spanCount} spans from ${trace.processes.length} processes (${trace.processes.join(', ')})`];
  const walk = (node: SpanNode, prefix: string, last: boolean, root: boolean) => {
    const orphan = root && node.span.parentSpanId ? `  (parent span ${node.span.parentSpanId} was not recorded)` : '';
    lines.push(`${prefix}${root ? '' : last ? '└─ ' : '├─ '}${describe(node.span)}${orphan}`);
    const childPrefix = root ? prefix : prefix + (last ? '   ' : '│  ');
    node.children.forEach((child, i) => walk(child, childPrefix, i === node.children.length - 1, false));
  };
  for (const root of trace.roots) walk(root, '', true, true);
  return lines.join('\n');
}

/** A tree as `--json` prints it: each span record with its `children`. */
export function treeJson(nodes: SpanNode[]): Array<SpanRecord & { children: unknown[] }> {
  return nodes.map((n) => ({ ...n.span, children: treeJson(n.children) }));
}
