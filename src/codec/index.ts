/**
 * Payload encryption for Steadfast's clients and workers: AES-256-GCM keys by id from
 * configuration, the data converter that uses them, decoding histories, and a codec server for the
 * Temporal Web UI and CLI.
 *
 * @example
 * const keys = loadCodecKeys(); // STEADFAST_CODEC_KEYS_FILE or STEADFAST_CODEC_KEYS
 * const client = new Client({ connection, dataConverter: steadfastDataConverter(keys) });
 */
export { AesGcmCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, isEncrypted, keyIdOf } from './aes-gcm-codec';
export {
  FAILURE_CONVERTER_PATH,
  PATH_FREE_FAILURE_CONVERTER_PATH,
  decodeHistory,
  fetchDecodedHistory,
  steadfastDataConverter,
} from './data-converter';
export { ENCODED_FAILURES_MARKER } from './failure-converter';
export {
  DEMO_CODEC_KEYS_FILE,
  DEMO_CODEC_KEY_ID,
  DEMO_CODEC_SERVER_TOKEN_FILE,
  demoCodecKeys,
  startDemoCodecServer,
  type DemoCodecKeys,
  type DemoCodecServer,
  type DemoCodecServerOptions,
} from './demo';
export { CODEC_KEYS_FILE_VAR, CODEC_KEYS_VAR, CodecKeyError, CodecKeyRing, loadCodecKeys, parseCodecKeys } from './keys';
export { DEFAULT_CODEC_SERVER_PORT, startCodecServer, type CodecServer, type CodecServerOptions } from './server';
