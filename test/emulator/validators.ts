/** Syntax rules shared by state loading and request validation. */

const IPV4_OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4_RE = new RegExp(`^${IPV4_OCTET}(\\.${IPV4_OCTET}){3}$`);

export function isIpv4(value: string): boolean {
  return IPV4_RE.test(value);
}

export const ECS_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;
/**
 * A member's `ecs_name`: Chinese characters (U+4E00–U+9FA5), letters, digits, `-`, `_` and `.`, 1–64
 * characters ("支持汉字，英文，数字，“-”,“_”,“.”，1 ~ 64字符": `EcsName` of `MemberInfo` in the official
 * Go SDK's services/roma/v2/model/model_member_info.go and services/apig/v2/model/model_member_info.go).
 */
export const ECS_NAME_RE = /^[\u4e00-\u9fa5A-Za-z0-9_.-]{1,64}$/;
export const ROMA_CHANNEL_NAME_RE = /^[A-Za-z][A-Za-z0-9_-]{2,63}$/;
export const APIG_CHANNEL_NAME_RE = /^[A-Za-z][A-Za-z0-9_.-]{2,63}$/;
export const MEMBER_GROUP_NAME_RE = /^[\p{L}][\p{L}0-9_.-]{2,63}$/u;
/** `200`, `200-299`, `201,202,210-299`. */
export const HTTP_CODE_RE = /^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/;

export function isInt(value: unknown, min: number, max: number): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= min && value <= max;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Levenshtein distance: how many one-character edits turn `a` into `b`. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length]!;
}

/**
 * What is wrong with the keys of a control body: each key it does not know, named, with the known key
 * it most likely misspells (`memberQuta`: did you mean `memberQuota`?), or the known keys. A typo must
 * not be taken silently and leave the setting as it was.
 */
export function unknownKeysProblem(
  body: Record<string, unknown>,
  known: readonly string[],
  what: string,
): string | undefined {
  const unknown = Object.keys(body).filter((k) => !known.includes(k));
  if (unknown.length === 0) return undefined;
  const named = unknown.map((key) => {
    const near = known
      .map((k) => ({ k, d: editDistance(key.toLowerCase(), k.toLowerCase()) }))
      .filter((x) => x.d <= 2)
      .sort((a, b) => a.d - b.d)[0];
    return near ? `"${key}" (did you mean "${near.k}"?)` : `"${key}"`;
  });
  return `unknown ${what} key${unknown.length === 1 ? "" : "s"} ${named.join(", ")}; known: ${known.join(", ")}`;
}
