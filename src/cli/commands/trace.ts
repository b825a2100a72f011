/**
 * `steadfast trace <workflowId> [--file spans.jsonl]`: a run's spans as a tree, read from the JSON
 * Lines file that tracing processes append to (see src/tracing). Needs no server.
 */
import { findProjectConfig, loadProject } from '../../config/load';
import { PROJECT_ROOT, STATE_DIR, type SteadfastConfig } from '../../platform/config';
import { traceFileOf } from '../../tracing/settings';
import { formatTrace, readSpanFile, tracesOfWorkflow, treeJson, type SpanFile } from '../../tracing/span-tree';
import { OperationError } from '../cli-errors';
import { ok, type CommandOutput } from './output';

/** `steadfast trace`. Exit 1, naming the file and what was looked for, when the run has no spans there. */
export function traceCommand(config: SteadfastConfig, workflowId: string, opts: { file?: string }): CommandOutput {
  const project = findProjectConfig() ? loadProject().tracing : undefined;
  const { file, source } = opts.file
    ? { file: opts.file, source: '--file' }
    : traceFileOf(config.tracing ?? {}, project, { root: PROJECT_ROOT, stateDir: STATE_DIR });
  const field = source === 'STEADFAST_TRACE_FILE' ? 'STEADFAST_TRACE_FILE' : '--file';
  let read: SpanFile;
  try {
    read = readSpanFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new OperationError({
      code: 'no-trace-file',
      message:
        `cannot read the span file ${file} (${source}): ${code}. Spans are written there by workers and clients ` +
        'running with STEADFAST_TRACE=1 (or tracing in steadfast.config.ts); name another file with --file',
      field,
      expected: 'a JSON Lines span file written by a tracing Steadfast process',
    });
  }
  const traces = tracesOfWorkflow(read.spans, workflowId);
  if (traces.length === 0) {
    throw new OperationError({
      code: 'no-spans',
      message:
        `<workflowId>: no span of workflow "${workflowId}" in ${file} (${source}; ${read.spans.length} spans read, ` +
        'matched on the attributes temporalWorkflowId and workflowId). Was the worker that ran it tracing (STEADFAST_TRACE=1)?',
      field: '<workflowId>',
      expected: 'the id of a run recorded by tracing workers',
    });
  }
  const skipped = read.unreadableLines.length
    ? `\n(${read.unreadableLines.length} unreadable lines skipped in ${file}: ${read.unreadableLines.slice(0, 10).join(', ')})`
    : '';
  return ok(
    {
      workflowId,
      file,
      unreadableLines: read.unreadableLines,
      traces: traces.map((t) => ({ traceId: t.traceId, spanCount: t.spanCount, processes: t.processes, roots: treeJson(t.roots) })),
    },
    traces.map(formatTrace).join('\n\n') + skipped,
  );
}
