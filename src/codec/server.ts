/**
 * A codec server: Temporal's remote codec protocol over HTTP, for the Web UI
 * (`--ui-codec-endpoint`) and the `temporal` CLI (`--codec-endpoint`). `POST …/encode` and
 * `POST …/decode` take and return `{"payloads": [...]}` (Payloads as proto3 JSON: bytes in base64);
 * only the last path segment selects the operation, as the protocol asks.
 *
 *   request ──► CORS (the configured UI origins only) ──► token ──► parse (400 if malformed)
 *           ──► codec (400 naming the key id if it cannot decrypt) ──► 200 {"payloads": [...]}
 *
 * Every request needs a token: `Authorization: Bearer <token>` (what `temporal … --codec-auth
 * "Bearer <token>"` sends), or the token as the path segment before `/encode` or `/decode`:
 * `--ui-codec-endpoint http://127.0.0.1:8089/<token>`. The path is for the Web UI: it POSTs to
 * `<endpoint>/decode` with `Content-Type` and `X-Namespace` only (hence the CORS preflight); its
 * "pass access token" setting adds `Authorization: Bearer <the signed-in user's OIDC token>`, and
 * only to an HTTPS endpoint, which matches none of these tokens (a proxy that checks the user's
 * token belongs in front for that). Binds 127.0.0.1 unless told otherwise; with a certificate and
 * key it serves HTTPS.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { CodecKeyError } from './keys';

/** Options of {@link startCodecServer}. */
export interface CodecServerOptions {
  /** The codec that encodes and decodes (normally an `AesGcmCodec` with keys). */
  codec: PayloadCodec;
  /** Accepted tokens (at least one, each at least 16 characters). */
  tokens: string[];
  /** Origins of Web UIs allowed to call from a browser, e.g. `http://127.0.0.1:8233`. Others get no CORS headers. */
  uiOrigins?: string[];
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 8089; 0 picks a free port. */
  port?: number;
  /** PEM files: serve HTTPS. */
  tls?: { certFile: string; keyFile: string };
  /** Largest request body accepted; default 8 MiB. */
  maxBodyBytes?: number;
  /** Called with one line per rejected or failed request (never a token or a payload). */
  log?: (line: string) => void;
}

/** A running codec server. */
export interface CodecServer {
  /** e.g. `http://127.0.0.1:8089`. */
  url: string;
  /** The port it listens on (the one chosen when `port` was 0). */
  port: number;
  /** Stops listening and drops open connections; resolves once the server has closed. */
  close(): Promise<void>;
}

/** The port `steadfast codec-server` listens on by default. */
export const DEFAULT_CODEC_SERVER_PORT = 8089;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time membership: the time taken does not depend on how much of a token matched. */
function tokenMatches(candidate: string, tokens: Buffer[]): boolean {
  const c = digest(candidate);
  let found = false;
  for (const t of tokens) found = timingSafeEqual(c, t) || found;
  return found;
}

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

function bytes(value: unknown, where: string): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) throw new HttpError(400, `${where} must be a base64 string`);
  return Buffer.from(value, 'base64');
}

/** `{"payloads": [{"metadata": {"k": "<b64>"}, "data": "<b64>"}]}` → Payloads; 400 naming the field otherwise. */
export function parsePayloads(body: string): Payload[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'the body is not JSON; expected {"payloads": [...]}');
  }
  const payloads = (doc as { payloads?: unknown } | null)?.payloads;
  if (!Array.isArray(payloads)) throw new HttpError(400, 'payloads: expected an array of Payloads (proto3 JSON)');
  return payloads.map((p, i) => {
    if (!p || typeof p !== 'object' || Array.isArray(p)) throw new HttpError(400, `payloads[${i}]: expected an object`);
    const { metadata = {}, data = '' } = p as { metadata?: unknown; data?: unknown };
    if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) {
      throw new HttpError(400, `payloads[${i}].metadata: expected an object of base64 strings`);
    }
    return {
      metadata: Object.fromEntries(
        Object.entries(metadata).map(([k, v]) => [k, bytes(v, `payloads[${i}].metadata.${k}`)]),
      ),
      data: bytes(data, `payloads[${i}].data`),
    };
  });
}

/** Payloads → the protocol's JSON. */
export function formatPayloads(payloads: Payload[]): string {
  const b64 = (b: Uint8Array | null | undefined) => Buffer.from(b ?? new Uint8Array()).toString('base64');
  return JSON.stringify({
    payloads: payloads.map((p) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data),
    })),
  });
}

function readBody(req: http.IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        reject(new HttpError(413, `the body exceeds ${max} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * Starts a codec server; resolves once it listens.
 * @example
 * const server = await startCodecServer({ codec: new AesGcmCodec(loadCodecKeys()), tokens: [token], uiOrigins: ['http://127.0.0.1:8233'] });
 * // temporal workflow show -w <id> --codec-endpoint ${server.url} --codec-auth "Bearer <token>"
 */
export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  if (!opts.tokens.length || opts.tokens.some((t) => t.length < 16)) {
    throw new Error('a codec server needs at least one token of 16 characters or more');
  }
  const tokens = opts.tokens.map(digest);
  const origins = new Set((opts.uiOrigins ?? []).map((o) => o.replace(/\/+$/, '')));
  const max = opts.maxBodyBytes ?? 8 * 1024 * 1024;
  const log = opts.log ?? (() => undefined);

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const origin = req.headers.origin;
    if (origin && origins.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      if (!origin || !origins.has(origin)) throw new HttpError(403, `origin ${origin ?? '(none)'} is not allowed`);
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    const segments = new URL(req.url ?? '/', 'http://codec').pathname.split('/').filter(Boolean);
    const op = segments.at(-1);
    if (op !== 'encode' && op !== 'decode') throw new HttpError(404, 'expected POST …/encode or …/decode');
    if (req.method !== 'POST') throw new HttpError(405, `${op} takes POST`);
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const pathToken = segments.at(-2);
    if (!(bearer !== undefined && tokenMatches(bearer, tokens)) && !(pathToken !== undefined && tokenMatches(pathToken, tokens))) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new HttpError(401, 'a valid token is required: "Authorization: Bearer <token>"');
    }
    const payloads = parsePayloads(await readBody(req, max));
    let out: Payload[];
    try {
      out = op === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
    } catch (err) {
      if (err instanceof CodecKeyError) throw new HttpError(400, err.message);
      throw err;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(formatPayloads(out));
  };

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      const message = err instanceof HttpError ? err.message : 'internal error';
      if (status >= 500) log(`codec server: ${req.method} ${status}: ${(err as Error)?.message ?? String(err)}`);
      else if (status !== 404) log(`codec server: ${req.method} ${status}: ${message}`);
      if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: message }));
    });
  };

  const server = opts.tls
    ? https.createServer({ cert: fs.readFileSync(opts.tls.certFile), key: fs.readFileSync(opts.tls.keyFile) }, onRequest)
    : http.createServer(onRequest);
  // A client that sends a broken request gets a 400 from Node; it never takes the server down.
  server.on('clientError', (_err, socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? DEFAULT_CODEC_SERVER_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${shownHost}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
