import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { Credential } from "./types";

/**
 * Independent verifier for Huawei Cloud `SDK-HMAC-SHA256` request signatures. It recomputes the
 * signature from what arrived on the wire (method, raw path, raw query, the signed headers, the raw
 * body bytes) so any change in transit, or a wrong secret key, fails.
 */

const ALGORITHM = "SDK-HMAC-SHA256";
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";

export interface ReceivedRequest {
  method: string;
  /** Path exactly as received, still percent-encoded, without the query. */
  rawPath: string;
  /** Query exactly as received, without the `?`. */
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type AuthOutcome =
  | { ok: true; credential: Credential; signedHeaders: ReadonlySet<string> }
  | { ok: false; reason: string };

interface AuthorizationHeader {
  ak: string;
  signedHeaders: string[];
  signature: string;
}

export function verifySignature(
  req: ReceivedRequest,
  credentials: readonly Credential[],
  nowMs: number,
): AuthOutcome {
  const auth = parseAuthorization(headerValue(req.headers, "authorization"));
  if (!auth)
    return deny(
      `Authorization header missing or not "${ALGORITHM} Access=..., SignedHeaders=..., Signature=..."`,
    );
  const credential = credentials.find((c) => c.ak === auth.ak);
  if (!credential) return deny(`unknown access key ${auth.ak}`);
  const signed = new Set(auth.signedHeaders);
  for (const required of ["host", "x-sdk-date"]) {
    if (!signed.has(required)) return deny(`header ${required} must be signed`);
  }
  const date = headerValue(req.headers, "x-sdk-date") ?? "";
  const dateMs = parseSdkDate(date);
  if (dateMs === undefined) return deny(`X-Sdk-Date "${date}" is not YYYYMMDDTHHMMSSZ`);
  if (Math.abs(nowMs - dateMs) > MAX_CLOCK_SKEW_MS)
    return deny(`X-Sdk-Date ${date} is more than 15 minutes away`);
  if (credential.securityToken !== undefined) {
    if (!signed.has("x-security-token")) return deny("X-Security-Token is required and must be signed");
    if (headerValue(req.headers, "x-security-token") !== credential.securityToken) {
      return deny("X-Security-Token does not match the access key");
    }
  }
  const canonical = canonicalRequest(req, auth.signedHeaders);
  if (typeof canonical !== "string") return canonical;
  const stringToSign = `${ALGORITHM}\n${date}\n${sha256Hex(canonical)}`;
  const expected = createHmac("sha256", credential.sk).update(stringToSign).digest("hex");
  if (!sameHex(expected, auth.signature)) return deny("signature does not match");
  return { ok: true, credential, signedHeaders: signed };
}

/** The parts of a canonical request that depend on what was sent, as the gateway derives them. */
export interface CanonicalParts {
  method: string;
  uri: string;
  query: string;
  /** Lower-case names as listed in the Authorization header. */
  signedHeaders: string[];
  payloadHash: string;
}

/**
 * The canonical request: `METHOD\nURI/\nQUERY\nname:value\n...\n\nsigned;names\nhex(sha256(body))`.
 * Returns a denial when a signed header is missing or the payload hash header disagrees with the body.
 */
function canonicalRequest(req: ReceivedRequest, signedHeaders: readonly string[]): string | AuthOutcome {
  const parts = canonicalParts(req, signedHeaders);
  if ("ok" in parts) return parts;
  let headers = "";
  for (const name of signedHeaders) {
    const value = headerValue(req.headers, name);
    if (value === undefined) return deny(`signed header ${name} is missing`);
    headers += `${name}:${value}\n`;
  }
  return [parts.method, parts.uri, parts.query, headers, signedHeaders.join(";"), parts.payloadHash].join(
    "\n",
  );
}

/**
 * Method, canonical URI and query, signed header names and payload hash of a received request (the
 * signed names from its Authorization header unless given). Exported for the conformance test, which
 * compares what the official SDKs and this product send for the same call.
 */
export function canonicalParts(
  req: ReceivedRequest,
  signedHeaders: readonly string[] = parseAuthorization(headerValue(req.headers, "authorization"))
    ?.signedHeaders ?? [],
): CanonicalParts | AuthOutcome {
  let uri: string;
  let query: string;
  try {
    uri = canonicalUri(req.rawPath);
    query = canonicalQuery(req.rawQuery);
  } catch {
    return deny("path or query is not valid UTF-8");
  }
  const bodyHash = sha256Hex(req.body);
  const declared = headerValue(req.headers, "x-sdk-content-sha256");
  let payloadHash = bodyHash;
  if (declared !== undefined) {
    if (declared !== UNSIGNED_PAYLOAD && declared.toLowerCase() !== bodyHash) {
      return deny("X-Sdk-Content-Sha256 does not match the body");
    }
    payloadHash = declared;
  }
  return { method: req.method, uri, query, signedHeaders: [...signedHeaders], payloadHash };
}

/**
 * Each path segment percent-decoded, then RFC 3986-encoded, joined by `/`, with a trailing `/`. Decoding
 * first makes `urn:smn:...` (sent raw, as the Go, Java and Node SDKs do) and `urn%3Asmn%3A...` (as
 * the Python SDK sends it) canonicalise alike, to `urn%3Asmn%3A...`, and so refuses a client that
 * signed the encoded form a second time (`urn%253Asmn...`). Sources: huaweicloud-sdk-python-v3
 * huaweicloud-sdk-core/huaweicloudsdkcore/signer/signer.py `process_canonical_uri` (unquote, split,
 * quote each segment); huaweicloud-sdk-go-v3 core/auth/signer/signer.go `CanonicalURI` (escape each
 * segment of the raw path).
 */
function canonicalUri(rawPath: string): string {
  const uri = rawPath
    .split("/")
    .map((segment) => rfc3986(decodeURIComponent(segment)))
    .join("/");
  return uri.endsWith("/") ? uri : `${uri}/`;
}

/** Keys sorted, `key=value` with both encoded, repeated keys' values sorted, joined by `&`. */
function canonicalQuery(rawQuery: string): string {
  const byKey = new Map<string, string[]>();
  for (const part of rawQuery.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decodeQuery(eq < 0 ? part : part.slice(0, eq));
    const value = decodeQuery(eq < 0 ? "" : part.slice(eq + 1));
    const values = byKey.get(key);
    if (values) values.push(value);
    else byKey.set(key, [value]);
  }
  const out: string[] = [];
  for (const key of [...byKey.keys()].sort()) {
    const values = byKey.get(key) ?? [];
    if (values.length > 1) values.sort();
    for (const value of values) out.push(`${rfc3986(key)}=${rfc3986(value)}`);
  }
  return out.join("&");
}

/** Percent-encodes everything except the RFC 3986 unreserved characters `A-Za-z0-9-_.~`. */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function decodeQuery(text: string): string {
  return decodeURIComponent(text.replace(/\+/g, " "));
}

function parseAuthorization(header: string | undefined): AuthorizationHeader | undefined {
  if (!header?.startsWith(`${ALGORITHM} `)) return undefined;
  const fields = new Map<string, string>();
  for (const part of header.slice(ALGORITHM.length + 1).split(",")) {
    const eq = part.indexOf("=");
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const ak = fields.get("Access");
  const signedHeaders = fields.get("SignedHeaders");
  const signature = fields.get("Signature");
  if (!ak || !signedHeaders || !signature) return undefined;
  return { ak, signedHeaders: signedHeaders.split(";").map((h) => h.toLowerCase()), signature };
}

/** `20191115T033655Z` → epoch ms. */
function parseSdkDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(",") : value;
}

function sha256Hex(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function sameHex(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(actual.toLowerCase(), "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

function deny(reason: string): AuthOutcome {
  return { ok: false, reason };
}
