import type { DeadLetterRecord } from "./dead-letter-record";

/**
 * SMN's publish limits (official SDK model `PublishMessageRequestBody`): the
 * message is UTF-8 of at most 256 KB, the subject at most 512 (characters in the model, bytes in the
 * API reference: bytes is the stricter reading).
 */
export const SMN_MESSAGE_MAX_BYTES = 256 * 1024;
export const SMN_SUBJECT_MAX_BYTES = 512;

/** A trimmed string field keeps this many characters. */
const TRIMMED_CHARS = 1_000;

const bytes = (text: string) => Buffer.byteLength(text, "utf8");

/** The longest prefix of `text` within `max` UTF-8 bytes, never cutting a character in two. */
export function truncateUtf8(text: string, max: number): string {
  if (bytes(text) <= max) return text;
  let out = Buffer.from(text, "utf8").subarray(0, max).toString("utf8");
  // A cut multi-byte character decodes to U+FFFD, which may itself be longer than what was cut.
  while (bytes(out) > max || out.endsWith("\uFFFD")) out = out.slice(0, -1);
  return out;
}

/** Where the whole record is: the function's log line (LTS), found by these fields. */
function pointerTo(record: DeadLetterRecord): string {
  return `the function log line with "dead_letter": true, request_id ${record.request_id}, time ${record.time}, action ${record.action}`;
}

const cut = (s: string) => (s.length > TRIMMED_CHARS ? `${s.slice(0, TRIMMED_CHARS)}… [trimmed]` : s);

/** The record with every free-text field cut short; ids, binding and replay stay whole. */
function trimmed(record: DeadLetterRecord): DeadLetterRecord {
  const detail = Object.fromEntries(
    Object.entries(record.detail ?? {}).map(([k, v]) => {
      if (typeof v === "string") return [k, cut(v)];
      const json = JSON.stringify(v) ?? "";
      return [k, json.length > TRIMMED_CHARS ? cut(json) : v];
    }),
  );
  return {
    ...record,
    error: { ...record.error, code: cut(record.error.code), message: cut(record.error.message) },
    detail: { ...detail, trimmed: true, full_record: pointerTo(record) },
  };
}

/** Halves the instance ids until every part's message fits (or holds one id). */
function splitIds(
  record: DeadLetterRecord,
  ids: string[],
  fits: (r: DeadLetterRecord) => boolean,
): string[][] {
  if (ids.length <= 1 || fits({ ...record, instance_ids: ids })) return [ids];
  const half = Math.ceil(ids.length / 2);
  return [...splitIds(record, ids.slice(0, half), fits), ...splitIds(record, ids.slice(half), fits)];
}

/**
 * The SMN messages that carry one dead-letter record within SMN's size limit: the record itself when
 * it fits; else one record per part of its instance ids (each a whole record with the same replay,
 * `detail.part` "i/n" and `detail.full_record` pointing at the log line); a part still too large has
 * its free-text fields trimmed. `serialize` is what is published (JSON, secrets scrubbed).
 */
export function deadLetterMessages(
  record: DeadLetterRecord,
  serialize: (r: DeadLetterRecord) => string,
  maxBytes: number = SMN_MESSAGE_MAX_BYTES,
): string[] {
  const whole = serialize(record);
  if (bytes(whole) <= maxBytes) return [whole];
  const pointer = pointerTo(record);
  // Room for the part fields added after the split.
  const marker = { part: "999999/999999", full_record: pointer };
  const fits = (r: DeadLetterRecord) =>
    bytes(serialize({ ...r, detail: { ...r.detail, ...marker } })) <= maxBytes;
  const parts = splitIds(record, record.instance_ids, fits);
  return parts.map((ids, i) => {
    const part: DeadLetterRecord = {
      ...record,
      instance_ids: ids,
      detail: {
        ...record.detail,
        ...(parts.length > 1 ? { part: `${i + 1}/${parts.length}` } : {}),
        full_record: pointer,
      },
    };
    const text = serialize(part);
    if (bytes(text) <= maxBytes) return text;
    const short = serialize(trimmed(part));
    // Bounded by now (ids ≤ 64 characters, every free-text field ≤ 1,000); the cut is a last resort.
    return bytes(short) <= maxBytes ? short : truncateUtf8(short, maxBytes);
  });
}
