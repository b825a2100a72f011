/**
 * The data converter that Steadfast's clients and workers use, and reading histories through it.
 *
 * With keys: payloads are encrypted ({@link AesGcmCodec}) and failure messages and stack traces
 * are encoded into a payload first (`failure-converter.ts`), so they are encrypted too. Without
 * keys: payloads travel as they are, and an encrypted one met on the way back is reported by its
 * key id. A `PayloadCodec` runs outside the workflow sandbox; only the failure converter goes into
 * the workflow bundle (`failureConverterPath`).
 */
import type { WorkflowHandle } from '@temporalio/client';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { AesGcmCodec, isEncrypted } from './aes-gcm-codec';
import type { CodecKeyRing } from './keys';

/** The module with the failure converter that encodes messages and stack traces (and strips file paths). */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/** The module with the failure converter of a worker without keys: it only strips file paths. */
export const PATH_FREE_FAILURE_CONVERTER_PATH = require.resolve('../common/failure-converter');

/**
 * The data converter for these keys (or for none).
 * @example
 * new Client({ connection, dataConverter: steadfastDataConverter(loadCodecKeys()) });
 */
export function steadfastDataConverter(keys?: CodecKeyRing): DataConverter {
  return {
    payloadCodecs: [new AesGcmCodec(keys)],
    failureConverterPath: keys ? FAILURE_CONVERTER_PATH : PATH_FREE_FAILURE_CONVERTER_PATH,
  };
}

type History = temporal.api.history.v1.IHistory;

function isPayload(value: object): value is Payload {
  const metadata = (value as Payload).metadata;
  return metadata !== null && typeof metadata === 'object' && metadata.encoding instanceof Uint8Array;
}

const fromUtf8 = new TextDecoder();

/**
 * Puts a failure's encoded message and stack trace back where a failure without them keeps
 * them, once its `encodedAttributes` payload has been decrypted.
 */
function restoreFailureAttributes(failure: temporal.api.failure.v1.IFailure): void {
  const encoded = failure.encodedAttributes;
  if (!encoded?.data || isEncrypted(encoded)) return;
  try {
    const attrs = JSON.parse(fromUtf8.decode(encoded.data)) as { message?: unknown; stack_trace?: unknown };
    if (typeof attrs.message === 'string') failure.message = attrs.message;
    if (typeof attrs.stack_trace === 'string') failure.stackTrace = attrs.stack_trace;
    failure.encodedAttributes = null;
  } catch {
    // Not the default converter's JSON: leave it as it is.
  }
}

async function decodeInPlace(node: unknown, codecs: PayloadCodec[], depth: number): Promise<unknown> {
  if (node === null || typeof node !== 'object' || node instanceof Uint8Array || depth > 64) return node;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) node[i] = await decodeInPlace(node[i], codecs, depth + 1);
    return node;
  }
  if (isPayload(node)) {
    if (!isEncrypted(node)) return node;
    let decoded: Payload = node;
    for (const codec of [...codecs].reverse()) [decoded] = await codec.decode([decoded]);
    return decoded;
  }
  const record = node as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = await decodeInPlace(record[key], codecs, depth + 1);
  if ('encodedAttributes' in record) restoreFailureAttributes(record as temporal.api.failure.v1.IFailure);
  return node;
}

/**
 * Decrypts every encrypted payload of a history in place and restores encoded failure messages,
 * so it reads like a history written without a codec (the trail, `faults` and `history` read it).
 * A history with nothing encrypted is returned unchanged.
 * @throws CodecKeyError naming the key id when a payload's key is missing or wrong
 */
export async function decodeHistory<H extends History>(history: H, codecs: PayloadCodec[]): Promise<H> {
  await decodeInPlace(history, codecs, 0);
  return history;
}

/** A run's history, decoded with the codecs of the client that the handle belongs to. */
export async function fetchDecodedHistory(handle: WorkflowHandle): Promise<History> {
  return decodeHistory(await handle.fetchHistory(), handle.client.options.loadedDataConverter.payloadCodecs);
}
