/**
 * Commands that look at runs: list, faults, history. `list` and `faults` are visibility queries
 * (they ask the server's index, they read no history to select runs).
 */
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { fetchDecodedHistory } from '../../codec';
import { writePrivateFile } from '../../platform/private-files';
import { UsageError } from '../cli-errors';
import { findFaults, queryLiteral } from '../../client/faults';
import { summarize, type RunSummary } from '../../client/runs';
import { ok, type CommandOutput } from './output';

/** Status names as the CLI accepts them → their visibility `ExecutionStatus` value. */
export const STATUS_VALUES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  cancelled: 'Canceled',
  terminated: 'Terminated',
  'continued-as-new': 'ContinuedAsNew',
  'timed-out': 'TimedOut',
} as const;
/** A status name as `--status` accepts it. */
export type StatusName = keyof typeof STATUS_VALUES;

/** The visibility query of `list`. */
export function listQuery({ statuses = [], type }: { statuses?: StatusName[]; type?: string }): string {
  const parts: string[] = [];
  const values = [...new Set(statuses.map((s) => STATUS_VALUES[s]))];
  if (values.length) parts.push(`(${values.map((v) => `ExecutionStatus = ${queryLiteral(v)}`).join(' OR ')})`);
  if (type) parts.push(`WorkflowType = ${queryLiteral(type)}`);
  return parts.join(' AND ');
}

function runLine(r: RunSummary): string {
  const faults = r.faults.count || r.faults.compensated ? `  faults ${r.faults.count} [${r.faults.kinds.join(', ')}]` : '';
  return `${r.status.padEnd(16)} ${r.type.padEnd(18)} ${r.workflowId}  (run ${r.runId}, started ${r.startTime})${faults}`;
}

/** `steadfast list [--status …] [--type …] [--limit n]`. */
export async function list(
  client: Client,
  opts: { statuses?: StatusName[]; type?: string; limit: number },
): Promise<CommandOutput> {
  const query = listQuery(opts);
  const runs: RunSummary[] = [];
  for await (const info of client.workflow.list(query ? { query } : {})) {
    if (runs.length >= opts.limit) break;
    runs.push(summarize(info));
  }
  return ok({ query, runs }, runs.length ? runs.map(runLine).join('\n') : `no runs match${query ? ` ${query}` : ''}`);
}

/** `steadfast faults [--since …] [--type …] [--limit n]`. */
export async function faults(
  client: Client,
  opts: { since?: Date; type?: string; limit: number },
): Promise<CommandOutput> {
  const found = await findFaults(client, opts);
  const text = found.runs.length
    ? found.runs.map((r) => [runLine(r), ...r.causes.map((c) => `    ${c}`)].join('\n')).join('\n')
    : `no troubled runs (query: ${found.query})`;
  return ok(found, text);
}

/**
 * `steadfast history <id> [--run-id] [--out file.json]`: the run's history as JSON in the format
 * `temporal workflow show --output json` writes and `test/replay.test.ts` reads. With codec keys
 * configured its payloads and failure messages are decrypted, as `temporal workflow show
 * --codec-endpoint` shows them; the file is readable by its owner only.
 */
export async function history(
  client: Client,
  workflowId: string,
  opts: { runId?: string; out?: string },
): Promise<CommandOutput> {
  const handle = client.workflow.getHandle(workflowId, opts.runId);
  const runId = opts.runId ?? (await handle.describe()).runId;
  const events = await fetchDecodedHistory(client.workflow.getHandle(workflowId, runId));
  const text = JSON.stringify(JSON.parse(historyToJSON(events)), null, 2) + '\n';
  if (!opts.out) return { exitCode: 0, json: JSON.parse(text), text: text.trimEnd() };
  try {
    writePrivateFile(opts.out, text);
  } catch (err) {
    throw new UsageError({
      code: 'unwritable-file',
      message: `--out: cannot write ${opts.out}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      field: '--out',
      expected: 'a writable file path',
    });
  }
  const summary = { workflowId, runId, events: events.events?.length ?? 0, file: opts.out };
  return ok(summary, `wrote ${summary.events} events of ${workflowId} (run ${runId}) to ${opts.out}`);
}
