import { nearestField } from "../config/binding-issues";
import { type Binding, type BindingInput, BindingSchema } from "../config/schema";
import { targetKey } from "../plan/identity";

/**
 * The tag format (docs/configuration.md, "Bindings from AS group tags"): a scaling group binds itself to a channel member group with these
 * tags. AS keeps at most 10 tags a group, keys ≤ 36 characters, values ≤ 43 characters of
 * `A-Z a-z 0-9 . - _` (AS API reference, "Creating or Deleting Tags"), so a binding is spread over
 * several tags and carries no health check.
 */
export const TAG_PREFIX = "channel-autoscaler-";

type Kind = "id" | "name" | "gateway" | "int" | "bool";

/** Tag key → binding field. The channel tag's presence is what makes a group a binding. */
export const BINDING_TAGS = {
  "channel-autoscaler-channel": { field: "vpc_channel_id", kind: "id", required: true },
  "channel-autoscaler-instance": { field: "instance_id", kind: "id", required: true },
  "channel-autoscaler-member-group": { field: "member_group_name", kind: "name", required: true },
  "channel-autoscaler-gateway": { field: "gateway", kind: "gateway", required: false },
  "channel-autoscaler-weight": { field: "weight", kind: "int", required: false },
  "channel-autoscaler-slow-start": { field: "slow_start_seconds", kind: "int", required: false },
  "channel-autoscaler-standby": { field: "standby", kind: "bool", required: false },
  "channel-autoscaler-port": { field: "port", kind: "int", required: false },
  "channel-autoscaler-drain-seconds": { field: "drain_seconds", kind: "int", required: false },
} as const satisfies Record<string, { field: keyof BindingInput; kind: Kind; required: boolean }>;

export type BindingTagKey = keyof typeof BINDING_TAGS;
export const CHANNEL_TAG: BindingTagKey = "channel-autoscaler-channel";
export const MEMBER_GROUP_TAG: BindingTagKey = "channel-autoscaler-member-group";

/** AS's own rule for tag values (AS API reference, "Creating or Deleting Tags"). */
const AS_TAG_VALUE = /^[A-Za-z0-9._-]{0,43}$/;

export interface Tag {
  key: string;
  value?: string | null | undefined;
}

/** One thing wrong with a group's tags: the tag and the rule it breaks. */
export interface TagProblem {
  tag: string;
  value?: string;
  rule: string;
}

export type TagBindingResult =
  | { ok: true; binding: Binding }
  | {
      ok: false;
      problems: TagProblem[];
      /** The target key (../plan/identity.ts) when those tags alone are valid: the target the group meant. */
      targetKey: string | undefined;
    };

/** Whether a group's tags ask for a binding at all: the channel tag is present. */
export function isTaggedForBinding(tags: readonly Tag[]): boolean {
  return tags.some((t) => t.key === CHANNEL_TAG);
}

const isBindingTag = (key: string): key is BindingTagKey => Object.hasOwn(BINDING_TAGS, key);

/** What to say of a key under the prefix that is no binding tag: the one it most likely misspells, or the list. */
function unknownTagRule(key: string): string {
  const known = Object.keys(BINDING_TAGS);
  // Compared without the shared prefix: it would make every key look close to every other.
  const meant = nearestField(
    key.slice(TAG_PREFIX.length),
    known.map((k) => k.slice(TAG_PREFIX.length)),
  );
  return meant === undefined
    ? `is not a channel-autoscaler tag (known: ${known.join(", ")})`
    : `is not a channel-autoscaler tag; did you mean ${TAG_PREFIX}${meant}?`;
}

function convert(kind: Kind, value: string): { value: unknown } | { rule: string } {
  switch (kind) {
    case "int":
      return /^\d{1,9}$/.test(value) ? { value: Number(value) } : { rule: "must be a whole number" };
    case "bool":
      return value === "true" || value === "false"
        ? { value: value === "true" }
        : { rule: 'must be "true" or "false"' };
    default:
      return { value };
  }
}

/**
 * The binding a scaling group's tags describe, or every problem with them (pure: no I/O). Each rule
 * is the binding schema's own, so a tag binding is held to exactly what BINDINGS is held to.
 */
export function bindingFromTags(scalingGroupId: string, tags: readonly Tag[]): TagBindingResult {
  const problems: TagProblem[] = [];
  const input: Record<string, unknown> = { scaling_group_id: scalingGroupId };
  const tagValues = new Map<string, string>();
  for (const t of tags) {
    if (!t.key.startsWith(TAG_PREFIX)) continue;
    const value = t.value ?? "";
    if (!isBindingTag(t.key)) {
      problems.push({ tag: t.key, value, rule: unknownTagRule(t.key) });
      continue;
    }
    tagValues.set(t.key, value);
    const spec = BINDING_TAGS[t.key];
    if (!AS_TAG_VALUE.test(value)) {
      problems.push({ tag: t.key, value, rule: "must be at most 43 characters of A-Z a-z 0-9 . - _" });
      continue;
    }
    if (value === "") {
      problems.push({ tag: t.key, value, rule: "must not be empty" });
      continue;
    }
    const converted = convert(spec.kind, value);
    if ("rule" in converted) problems.push({ tag: t.key, value, rule: converted.rule });
    else input[spec.field] = converted.value;
  }
  for (const [key, spec] of Object.entries(BINDING_TAGS)) {
    if (spec.required && !tagValues.has(key)) problems.push({ tag: key, rule: "is required" });
  }
  const parsed = BindingSchema().safeParse(input);
  if (!parsed.success) {
    const tagOf = new Map<string, string>(Object.entries(BINDING_TAGS).map(([k, s]) => [s.field, k]));
    for (const issue of parsed.error.issues) {
      const field = String(issue.path[0] ?? "");
      const tag = tagOf.get(field);
      // Fields whose tag is missing or unconvertible already have their problem.
      if (tag === undefined || !Object.hasOwn(input, field)) continue;
      problems.push({ tag, value: tagValues.get(tag) ?? "", rule: issue.message });
    }
  }
  if (problems.length === 0 && parsed.success) return { ok: true, binding: parsed.data };
  return { ok: false, problems, targetKey: targetKeyOf(tagValues) };
}

function targetKeyOf(tagValues: Map<string, string>): string | undefined {
  const target = BindingSchema().safeParse({
    scaling_group_id: "target",
    instance_id: tagValues.get("channel-autoscaler-instance"),
    vpc_channel_id: tagValues.get("channel-autoscaler-channel"),
    member_group_name: tagValues.get("channel-autoscaler-member-group"),
    ...(tagValues.has("channel-autoscaler-gateway") && {
      gateway: tagValues.get("channel-autoscaler-gateway"),
    }),
  });
  return target.success ? targetKey(target.data) : undefined;
}

/** One line an operator can act on: `tag channel-autoscaler-weight "abc": must be a whole number; …`. */
export function describeTagProblems(problems: readonly TagProblem[]): string {
  return problems
    .map((p) => `tag ${p.tag}${p.value === undefined ? "" : ` "${p.value}"`}: ${p.rule}`)
    .join("; ");
}
