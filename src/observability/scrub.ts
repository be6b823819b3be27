/**
 * Removing credentials from text: whole values, their encoded forms, and any fragment of them long
 * enough to matter. An API may echo a request's headers in an error body (as text, as JSON, percent- or
 * base64-encoded), and a body cut short keeps only part of a value: scrubbing whole values alone would
 * let the part through.
 */

/** Any run of this many characters of a credential (or of an encoded form of it) is removed. */
export const FRAGMENT_LENGTH = 16;
/** Values shorter than this are not scrubbed (they would match ordinary text). */
const MIN_SECRET_LENGTH = 4;
export const REDACTED = "[REDACTED]";
/** The credential-bearing parts of an SDK-HMAC-SHA256 Authorization value, whoever's they are. */
const SIGNATURE = /((?:Access|Signature)=)[A-Za-z0-9+/=_-]{8,}/g;

/** RFC 3986 percent-encoding, as the signer's canonical query uses it. */
function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * The base64 text of `value` as it would appear inside the base64 of a longer text, for each of the
 * three byte alignments it can have there: only the characters that do not depend on the bytes around it.
 */
function base64Cores(value: string): string[] {
  const bytes = Buffer.from(value);
  return [0, 1, 2].flatMap((pad) => {
    const padded = Buffer.concat([Buffer.alloc(pad), bytes]);
    // Whole 3-byte groups only: the characters of a partial last group depend on the bytes after.
    const whole = padded.subarray(0, padded.length - (padded.length % 3));
    // One leading character per padding byte depends on the bytes before (pad 1: 2 chars, pad 2: 3 chars).
    const skip = pad === 0 ? 0 : pad + 1;
    const core = whole.toString("base64").slice(skip);
    return [core, core.replace(/\+/g, "-").replace(/\//g, "_")];
  });
}

/** Every form of one credential worth looking for. */
export function encodedForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const forms = [
    secret,
    rfc3986(secret),
    encodeURIComponent(secret),
    rfc3986(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    json,
    // JSON text inside a JSON string (a body quoted in a log line or a dead letter).
    JSON.stringify(json).slice(1, -1),
    ...base64Cores(secret),
  ];
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH);
}

/**
 * Scrubs a fixed set of credentials out of text. Forms of at least FRAGMENT_LENGTH characters are
 * matched by fragment (every window of that length is looked up in a set: linear in the text), shorter
 * ones as whole values. Anything shaped like a request signature goes too.
 */
export class SecretScrubber {
  private readonly windows = new Set<string>();
  /** Rolling hashes of `windows`: a window of the text is sliced and looked up only on a hash hit. */
  private readonly hashes = new Set<number>();
  private readonly whole: string[];

  constructor(secrets: readonly string[]) {
    const forms = new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH).flatMap(encodedForms));
    // Longest first so a value that contains another is scrubbed whole.
    this.whole = [...forms].filter((f) => f.length < FRAGMENT_LENGTH).sort((a, b) => b.length - a.length);
    // A form shorter than FRAGMENT_LENGTH has no window.
    for (const f of forms) {
      forEachWindowHash(f, (i, h) => {
        this.windows.add(f.slice(i, i + FRAGMENT_LENGTH));
        this.hashes.add(h);
      });
    }
  }

  scrub(text: string): string {
    let out = text;
    if (this.windows.size > 0) out = this.scrubFragments(out);
    for (const s of this.whole) out = out.split(s).join(REDACTED);
    return out.replace(SIGNATURE, `$1${REDACTED}`);
  }

  private scrubFragments(text: string): string {
    let result = "";
    let copied = 0;
    // The run of matched windows being extended: [runStart, runEnd), both -1 before the first match.
    let runStart = -1;
    let runEnd = -1;
    forEachWindowHash(text, (i, h) => {
      if (!this.hashes.has(h) || !this.windows.has(text.slice(i, i + FRAGMENT_LENGTH))) return;
      if (i <= runEnd) {
        runEnd = i + FRAGMENT_LENGTH;
        return;
      }
      if (runStart >= 0) {
        result += text.slice(copied, runStart) + REDACTED;
        copied = runEnd;
      }
      runStart = i;
      runEnd = i + FRAGMENT_LENGTH;
    });
    if (runStart < 0) return text;
    return result + text.slice(copied, runStart) + REDACTED + text.slice(runEnd);
  }
}

const HASH_BASE = 257;
/** HASH_BASE^(FRAGMENT_LENGTH-1) in 32-bit arithmetic: the weight of the character leaving the window. */
const HASH_TOP = (() => {
  let p = 1;
  for (let i = 1; i < FRAGMENT_LENGTH; i++) p = Math.imul(p, HASH_BASE);
  return p;
})();

/** Calls `fn(start, hash)` for every FRAGMENT_LENGTH window of `text`, with a rolling polynomial hash. */
function forEachWindowHash(text: string, fn: (start: number, hash: number) => void): void {
  if (text.length < FRAGMENT_LENGTH) return;
  let h = 0;
  for (let i = 0; i < FRAGMENT_LENGTH; i++) h = (Math.imul(h, HASH_BASE) + text.charCodeAt(i)) | 0;
  fn(0, h);
  for (let i = FRAGMENT_LENGTH; i < text.length; i++) {
    h = (h - Math.imul(text.charCodeAt(i - FRAGMENT_LENGTH), HASH_TOP)) | 0;
    h = (Math.imul(h, HASH_BASE) + text.charCodeAt(i)) | 0;
    fn(i - FRAGMENT_LENGTH + 1, h);
  }
}

const cache = new Map<string, SecretScrubber>();
const CACHED_SETS = 4;

/** The scrubber of a set of credentials, built once per set (a warm instance reuses it). */
export function scrubberFor(secrets: readonly string[]): SecretScrubber {
  const key = JSON.stringify([...new Set(secrets)].sort());
  let scrubber = cache.get(key);
  if (!scrubber) {
    scrubber = new SecretScrubber(secrets);
    if (cache.size >= CACHED_SETS) cache.delete(cache.keys().next().value!);
    cache.set(key, scrubber);
  }
  return scrubber;
}

/** Cuts text taken from a response to `max` characters (after scrubbing, never before). */
export function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}
