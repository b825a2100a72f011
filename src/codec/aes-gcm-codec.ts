/**
 * AES-256-GCM payload encryption (Node's crypto). Each payload, metadata included, is serialised
 * and encrypted whole, so the server sees neither its data nor its encoding:
 *
 *   Payload{metadata, data} ──protobuf──► plaintext ──AES-256-GCM(key[current], random 96-bit IV, AAD = key id)──►
 *   Payload{ metadata: { encoding: "binary/encrypted", encryption-key-id: <id>, encryption-cipher: "AES-256-GCM" },
 *            data: IV ‖ ciphertext ‖ 128-bit tag }
 *
 * The key id in the metadata picks the key on the way back, so keys can rotate. The metadata
 * names follow Temporal's encryption samples, so their codec servers read the same payloads.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { CODEC_KEYS_FILE_VAR, CODEC_KEYS_VAR, CodecKeyError, type CodecKeyRing } from './keys';

/** `encoding` of an encrypted payload. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key id a payload was encrypted with. */
export const KEY_ID_METADATA = 'encryption-key-id';
/** Metadata key naming the cipher. */
export const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';
const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** True when a payload carries this codec's encryption. */
export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.encoding;
  return encoding !== undefined && encoding !== null && fromUtf8.decode(encoding) === ENCRYPTED_ENCODING;
}

/** The key id an encrypted payload names (empty when the metadata lacks it). */
export function keyIdOf(payload: Payload): string {
  const id = payload.metadata?.[KEY_ID_METADATA];
  return id ? fromUtf8.decode(id) : '';
}

/**
 * A `PayloadCodec` that encrypts with the ring's current key and decrypts with whichever key a
 * payload names. Without a ring it encrypts nothing, and reports an encrypted payload it meets by
 * its key id instead of handing ciphertext to the payload converter.
 *
 * @example
 * const codec = new AesGcmCodec(loadCodecKeys());
 * new Client({ connection, dataConverter: { payloadCodecs: [codec] } });
 */
export class AesGcmCodec implements PayloadCodec {
  constructor(
    /** The keys to encrypt and decrypt with; undefined: payloads pass through unencrypted. */
    readonly keys?: CodecKeyRing,
  ) {}

  /**
   * Encrypts each payload, metadata included, with the ring's current key (a fresh random IV each),
   * or returns them unchanged when there is no ring.
   */
  async encode(payloads: Payload[]): Promise<Payload[]> {
    const ring = this.keys;
    if (!ring) return payloads;
    const id = ring.current;
    const key = ring.key(id)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(utf8.encode(id));
      const plaintext = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: utf8.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: utf8.encode(id),
          [CIPHER_METADATA]: utf8.encode(CIPHER),
        },
        data,
      };
    });
  }

  /**
   * Decrypts each encrypted payload with the key its metadata names and passes the others through.
   * @throws CodecKeyError naming the key id when no keys are configured, the ring lacks that key, the
   * payload is truncated, or it does not decrypt (a wrong key or an altered payload).
   */
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private decrypt(payload: Payload): Payload {
    const id = keyIdOf(payload);
    const ring = this.keys;
    if (!ring) {
      throw new CodecKeyError(
        `a payload is encrypted with key "${id}" and no codec keys are configured: ` +
          `set ${CODEC_KEYS_FILE_VAR} (or ${CODEC_KEYS_VAR}) to keys that include "${id}"`,
        id,
      );
    }
    const key = ring.key(id);
    if (!key) {
      throw new CodecKeyError(
        `a payload is encrypted with key "${id}", which ${ring.source} does not hold (it has ${ring.ids.map((k) => `"${k}"`).join(', ')}): ` +
          `add key "${id}" to decode runs written with it`,
        id,
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.length < IV_BYTES + TAG_BYTES) throw new CodecKeyError(`a payload encrypted with key "${id}" is truncated (${data.length} bytes)`, id);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(utf8.encode(id));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    let plaintext: Buffer;
    try {
      plaintext = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new CodecKeyError(
        `a payload encrypted with key "${id}" does not decrypt with the key that ${ring.source} holds as "${id}": ` +
          'the key is wrong (or the payload was altered)',
        id,
      );
    }
    return temporal.api.common.v1.Payload.decode(plaintext);
  }
}
