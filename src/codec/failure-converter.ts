/**
 * The failure converter of an encrypting data converter: failure messages and stack traces go
 * into a payload (`encodeCommonAttributes`), which the codec then encrypts like any other; file
 * paths are stripped first, as without keys. Loaded by path (`failureConverterPath`), also inside
 * the workflow sandbox: imports only `@temporalio/common` and the path-free converter.
 */
import { PathFreeFailureConverter } from '../common/failure-converter';

/**
 * Present in every workflow bundle built with this converter, so that a worker can tell whether a
 * pre-built bundle encodes its failures.
 */
export const ENCODED_FAILURES_MARKER = 'steadfast:encoded-failure-attributes';

/** The converter the SDK loads from this module. */
export const failureConverter = Object.assign(new PathFreeFailureConverter({ encodeCommonAttributes: true }), {
  steadfastMarker: ENCODED_FAILURES_MARKER,
});
