/**
 * OpenTelemetry tracing for Steadfast's processes, through the SDK's own interceptors
 * (`@temporalio/interceptors-opentelemetry`). One trace follows a run:
 *
 *   StartWorkflow:<type>            the client that started it (its context travels in the start headers)
 *   └─ RunWorkflow:<type>           the workflow, in whichever worker ran its last workflow task
 *      ├─ StartActivity:<activity>  one per activity the workflow scheduled (forward steps, then compensations)
 *      │  ├─ RunActivity:<activity> one per attempt, in the worker that ran it (retries are siblings)
 *      …
 *
 * A process calls {@link startTracing} once, gives the result to `createWorker({ tracing })` and,
 * for clients, to {@link clientTracingInterceptors}, and calls `shutdown()` before it exits (an
 * OTLP exporter sends its last batch then; the file exporter writes each span when it ends).
 */
import os from 'node:os';
import { context, propagation, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type ReadableSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ClientInterceptors } from '@temporalio/client';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import { JsonLinesSpanExporter, primitiveAttributes } from './jsonl-exporter';
import { PROJECT_ROOT, STATE_DIR, type SteadfastConfig } from '../platform/config';
import { resolveTracing, type ProjectTracing, type TracingTargets } from './settings';

/** Options of {@link startTracing}: at least one of `file` and `otlpEndpoint`. */
export interface TracingOptions extends TracingTargets {
  /**
   * Who this process is, as the `steadfast.identity` resource attribute on its spans (a worker
   * passes its worker identity); default `<serviceName>-<pid>@<host>`.
   */
  identity?: string;
}

/** A process's tracer and where its spans go; see {@link startTracing}. */
export interface SteadfastTracing {
  /** The tracer the SDK's client and activity interceptors record with. */
  readonly tracer: Tracer;
  /** Every exporter of this process, behind one processor (the workflow span sink feeds it too). */
  readonly spanProcessor: SpanProcessor;
  /** `service.name`, `steadfast.identity`, `process.pid`, `host.name`. */
  readonly resource: Resource;
  /** Where spans go. */
  readonly targets: TracingTargets;
  /** Sends what is pending (OTLP batches). */
  forceFlush(): Promise<void>;
  /** Sends what is pending and closes the exporters; call once, before the process exits. */
  shutdown(): Promise<void>;
}

let globalsInstalled = false;

/**
 * The SDK's interceptors carry span context through the global OpenTelemetry API: they need a
 * context manager (so a span is "active" across awaits) and a propagator (to write it into
 * Temporal headers). Installed once per process; a process that set up OpenTelemetry itself keeps
 * its own (the API refuses a second registration).
 */
function installGlobals(): void {
  if (globalsInstalled) return;
  globalsInstalled = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
}

/**
 * The SDK's workflow span sink merges the whole workflow info into each workflow span; keep only
 * primitive attributes (no memo, search attributes or last failure) for every exporter.
 */
class PrimitiveAttributesProcessor implements SpanProcessor {
  constructor(private readonly inner: SpanProcessor) {}
  onStart(): void {}
  onEnd(span: ReadableSpan): void {
    const attributes = primitiveAttributes(span.attributes);
    this.inner.onEnd(Object.assign(Object.create(Object.getPrototypeOf(span) as object) as ReadableSpan, span, { attributes }));
  }
  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }
  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * Starts tracing for this process: a JSON Lines file (`file`) and/or an OTLP/HTTP collector
 * (`otlpEndpoint`).
 *
 * @example
 * const tracing = startTracing({ otlpEndpoint: 'http://127.0.0.1:4318/v1/traces', serviceName: 'trips-worker' });
 * const worker = await createWorker({ connection, namespace, taskQueue, workflowsPath, activities, tracing });
 * await worker.run();
 * await tracing.shutdown();
 */
export function startTracing(options: TracingOptions): SteadfastTracing {
  if (!options.file && !options.otlpEndpoint) {
    throw new Error('startTracing: name a JSON Lines file (file) or an OTLP collector (otlpEndpoint), or both');
  }
  installGlobals();
  const serviceName = options.serviceName ?? 'steadfast';
  const resource = new Resource({
    'service.name': serviceName,
    'steadfast.identity': options.identity ?? `${serviceName}-${process.pid}@${os.hostname()}`,
    'process.pid': process.pid,
    'host.name': os.hostname(),
  });
  const processors: SpanProcessor[] = [];
  // The file gets each span as it ends: a worker killed mid-run keeps what it finished.
  if (options.file) processors.push(new SimpleSpanProcessor(new JsonLinesSpanExporter(options.file)));
  if (options.otlpEndpoint) processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url: options.otlpEndpoint })));
  const provider = new BasicTracerProvider({ resource, spanProcessors: processors });
  const spanProcessor = new PrimitiveAttributesProcessor(provider.getActiveSpanProcessor());
  return {
    tracer: provider.getTracer('steadfast'),
    spanProcessor,
    resource,
    targets: { ...(options.file ? { file: options.file } : {}), ...(options.otlpEndpoint ? { otlpEndpoint: options.otlpEndpoint } : {}), serviceName },
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

/**
 * Client interceptors that open the root span of each run a client starts (and spans for its
 * signals, queries, updates, cancels) and pass its context to the workflow.
 *
 * @example
 * const client = new Client({ connection, interceptors: clientTracingInterceptors(tracing) });
 */
export function clientTracingInterceptors(tracing: SteadfastTracing): ClientInterceptors {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor({ tracer: tracing.tracer })] };
}

/**
 * Starts tracing for a Steadfast process when its configuration turns it on (`STEADFAST_TRACE=1`,
 * or `tracing` in `steadfast.config.ts`); undefined when tracing is off.
 * @throws TracingConfigError naming `tracing.otlpEndpoint` when the project's endpoint is unusable
 */
export function tracingFromConfig(
  config: SteadfastConfig,
  project: ProjectTracing | undefined,
  who: { serviceName: string; identity?: string },
): SteadfastTracing | undefined {
  const targets = resolveTracing(config.tracing ?? {}, project, { root: PROJECT_ROOT, stateDir: STATE_DIR });
  if (!targets) return undefined;
  return startTracing({ ...targets, serviceName: targets.serviceName ?? who.serviceName, identity: who.identity });
}
