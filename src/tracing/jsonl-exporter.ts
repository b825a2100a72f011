/**
 * Spans as JSON Lines: one finished span per line, appended to a file readable by its owner only
 * (0600, like every file Steadfast writes). Several processes (the client, each worker) append to
 * the same file; each batch is one `write` on a file opened for appending, so lines never
 * interleave. The line is {@link SpanRecord}; `steadfast trace` reads it back.
 */
import fs from 'node:fs';
import path from 'node:path';
import { SpanKind, SpanStatusCode, type Attributes, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { makePrivateDir } from '../platform/private-files';

/** A primitive attribute value, or a list of them (what OpenTelemetry allows). */
export type AttributeValue = string | number | boolean | Array<string | number | boolean>;

/** One line of the file. Times are ISO 8601 (UTC); `durationMs` has microsecond precision. */
export interface SpanRecord {
  /** The trace, 32 hex digits: one per run (its client's start, or its first workflow task). */
  traceId: string;
  /** This span, 16 hex digits. */
  spanId: string;
  /** Absent on a trace's root span. */
  parentSpanId?: string;
  /** `StartWorkflow:<type>`, `RunWorkflow:<type>`, `StartActivity:<activity>`, `RunActivity:<activity>`, … */
  name: string;
  /** The OpenTelemetry span kind. */
  kind: keyof typeof SpanKind;
  /** When the span started (ISO 8601; workflow spans use workflow time, the time of their workflow task). */
  start: string;
  /** When it ended. */
  end: string;
  /** `end - start` in milliseconds. */
  durationMs: number;
  /** `ERROR` with the failure's message, `OK`, or `UNSET` (a benign failure). */
  status: { code: 'UNSET' | 'OK' | 'ERROR'; message?: string };
  /** The span's primitive attributes: `temporalWorkflowId` / `workflowId`, `run_id` / `runId`, `steadfast.step`, `steadfast.attempt`, … */
  attributes: Record<string, AttributeValue>;
  /** Who recorded it: `service.name`, `steadfast.identity` (the worker identity), `process.pid`, `host.name`. */
  resource: Record<string, AttributeValue>;
  /** Span events (an `exception` for each error recorded), without stack traces. */
  events?: { name: string; time: string; attributes?: Record<string, AttributeValue> }[];
}

function isPrimitive(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/**
 * Only primitive attributes (and lists of them). The SDK's workflow span sink merges the whole
 * workflow info into each workflow span (memo, search attributes, last failure…); nested values
 * are not valid span attributes and may carry business data, so they are dropped here.
 */
export function primitiveAttributes(attributes: Attributes | Record<string, unknown> | undefined, drop: string[] = []): Record<string, AttributeValue> {
  const out: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(attributes ?? {})) {
    if (drop.includes(k)) continue;
    if (isPrimitive(v)) out[k] = v;
    else if (Array.isArray(v) && v.every(isPrimitive)) out[k] = v;
  }
  return out;
}

function hrToMs([seconds, nanos]: HrTime): number {
  return seconds * 1000 + nanos / 1e6;
}

const STATUS = { [SpanStatusCode.UNSET]: 'UNSET', [SpanStatusCode.OK]: 'OK', [SpanStatusCode.ERROR]: 'ERROR' } as const;

/** A finished span as one {@link SpanRecord}. */
export function spanRecord(span: ReadableSpan): SpanRecord {
  const { traceId, spanId } = span.spanContext();
  const start = hrToMs(span.startTime);
  const end = hrToMs(span.endTime);
  const events = span.events.map((e) => {
    const attributes = primitiveAttributes(e.attributes, ['exception.stacktrace']);
    return { name: e.name, time: new Date(hrToMs(e.time)).toISOString(), ...(Object.keys(attributes).length ? { attributes } : {}) };
  });
  return {
    traceId,
    spanId,
    ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
    name: span.name,
    kind: SpanKind[span.kind] as keyof typeof SpanKind,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    durationMs: Math.round((end - start) * 1000) / 1000,
    status: { code: STATUS[span.status.code], ...(span.status.message ? { message: span.status.message } : {}) },
    attributes: primitiveAttributes(span.attributes),
    resource: primitiveAttributes(span.resource.attributes),
    ...(events.length ? { events } : {}),
  };
}

/** An OpenTelemetry span exporter that appends {@link SpanRecord} lines to `file`. */
export class JsonLinesSpanExporter implements SpanExporter {
  private fd?: number;

  /** @param file - absolute path; created 0600 (its folder 0700) on the first span. */
  constructor(readonly file: string) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    try {
      if (this.fd === undefined) {
        if (!fs.existsSync(path.dirname(this.file))) makePrivateDir(path.dirname(this.file));
        this.fd = fs.openSync(this.file, 'a', 0o600);
        fs.fchmodSync(this.fd, 0o600);
      }
      fs.writeSync(this.fd, spans.map((s) => JSON.stringify(spanRecord(s)) + '\n').join(''));
      resultCallback({ code: ExportResultCode.SUCCESS });
    } catch (err) {
      resultCallback({ code: ExportResultCode.FAILED, error: err as Error });
    }
  }

  async shutdown(): Promise<void> {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  async forceFlush(): Promise<void> {
    // Every export is written at once.
  }
}
