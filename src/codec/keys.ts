/**
 * Encryption keys by id, from configuration: a key file (`STEADFAST_CODEC_KEYS_FILE`) or the same
 * JSON in a variable (`STEADFAST_CODEC_KEYS`):
 *
 * ```json
 * { "current": "k2", "keys": { "k1": "<base64 of 32 bytes>", "k2": "<base64 of 32 bytes>" } }
 * ```
 *
 * New payloads are encrypted with `current`; every key listed can decrypt, so after a rotation
 * (add a key, make it current, keep the old one) old runs still decode. Key material never
 * leaves this module in a printable form: {@link CodecKeyRing} serialises to its ids only.
 */
import fs from 'node:fs';
import { inspect } from 'node:util';

/** The variable naming a key file. */
export const CODEC_KEYS_FILE_VAR = 'STEADFAST_CODEC_KEYS_FILE';
/** The variable holding the key JSON itself. */
export const CODEC_KEYS_VAR = 'STEADFAST_CODEC_KEYS';

const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/**
 * A configuration or decryption problem with codec keys. The message names the key id and the
 * variable to fix, never key material.
 */
export class CodecKeyError extends Error {
  /** Always `CodecKeyError`. */
  override readonly name = 'CodecKeyError';
  constructor(
    message: string,
    /** The key id concerned, when there is one. */
    readonly keyId?: string,
  ) {
    super(message);
  }
}

/** AES-256 keys by id, and the id that encrypts new payloads. */
export class CodecKeyRing {
  readonly #keys: ReadonlyMap<string, Buffer>;

  constructor(
    /** The id of the key that encrypts new payloads. */
    readonly current: string,
    keys: ReadonlyMap<string, Buffer>,
    /** Where the keys came from, for messages: `STEADFAST_CODEC_KEYS_FILE (/path)` or `STEADFAST_CODEC_KEYS`. */
    readonly source: string,
  ) {
    if (!keys.has(current)) throw new CodecKeyError(`${source}: "current" names key "${current}", which is not among its keys`, current);
    for (const [id, key] of keys) {
      if (!KEY_ID.test(id)) throw new CodecKeyError(`${source}: key id "${id}" must be 1-64 letters, digits, ".", "_" or "-"`, id);
      if (key.length !== 32) throw new CodecKeyError(`${source}: key "${id}" must be 32 bytes (AES-256), base64-encoded; it is ${key.length} bytes`, id);
    }
    this.#keys = keys;
  }

  /** The ids of every key, current included. */
  get ids(): string[] {
    return [...this.#keys.keys()];
  }

  /** The key with this id, or undefined. */
  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  /** Ids only: a key ring printed or serialised never shows its keys. */
  toJSON(): { current: string; ids: string[]; source: string } {
    return { current: this.current, ids: this.ids, source: this.source };
  }

  /** What `console.log` and `util.inspect` print: the ids and source, never the keys. */
  [inspect.custom](): string {
    return `CodecKeyRing(current ${this.current}, ids ${this.ids.join(', ')}, from ${this.source})`;
  }
}

/** Parses the key JSON; `source` names where it came from in error messages. */
export function parseCodecKeys(text: string, source: string): CodecKeyRing {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    // The parser's message may quote the text, which holds keys: say only where it is wrong.
    throw new CodecKeyError(`${source}: not valid JSON; expected {"current": "<id>", "keys": {"<id>": "<base64 of 32 bytes>"}}`);
  }
  const { current, keys } = (doc ?? {}) as { current?: unknown; keys?: unknown };
  if (typeof current !== 'string' || !current) throw new CodecKeyError(`${source}: "current" must name the key id that encrypts new payloads`);
  if (!keys || typeof keys !== 'object' || Array.isArray(keys) || !Object.keys(keys).length) {
    throw new CodecKeyError(`${source}: "keys" must map key ids to base64-encoded 32-byte keys`);
  }
  const map = new Map<string, Buffer>();
  for (const [id, value] of Object.entries(keys)) {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(value.trim())) {
      throw new CodecKeyError(`${source}: key "${id}" must be a base64 string (32 bytes, e.g. from "openssl rand -base64 32")`, id);
    }
    map.set(id, Buffer.from(value.trim(), 'base64'));
  }
  return new CodecKeyRing(current, map, source);
}

function readEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value !== undefined && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The configured keys, or undefined when neither variable is set (payloads then travel in plain
 * text, and an encrypted payload met on the way back is reported with its key id).
 * @throws CodecKeyError naming the variable when a setting is present but unusable
 */
export function loadCodecKeys(env: NodeJS.ProcessEnv = process.env): CodecKeyRing | undefined {
  const file = readEnv(env, CODEC_KEYS_FILE_VAR);
  const inline = readEnv(env, CODEC_KEYS_VAR);
  if (file && inline) throw new CodecKeyError(`set either ${CODEC_KEYS_FILE_VAR} or ${CODEC_KEYS_VAR}, not both`);
  if (inline) return parseCodecKeys(inline, CODEC_KEYS_VAR);
  if (!file) return undefined;
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new CodecKeyError(`${CODEC_KEYS_FILE_VAR}: cannot read "${file}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  return parseCodecKeys(text, `${CODEC_KEYS_FILE_VAR} (${file})`);
}
