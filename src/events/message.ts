import { type LifecycleHookMessage, LifecycleHookMessageSchema } from "./schemas";

/**
 * Reading of an AS notification text. AS's lifecycle-hook message is documented (AS user guide, "Lifecycle
 * hooks") and read as its structured fields; its other notifications are not, so for them any JSON
 * shape at any depth and any key case is accepted, and plain text is searched for `key: value` pairs
 * and for the ids of groups we know.
 */
export interface MessageHints {
  scalingGroupIds: string[];
  instanceIds: string[];
  lifecycleActionKeys: string[];
  lifecycleHookNames: string[];
  lifecycleHookTypes: string[];
}

export const emptyHints = (): MessageHints => ({
  scalingGroupIds: [],
  instanceIds: [],
  lifecycleActionKeys: [],
  lifecycleHookNames: [],
  lifecycleHookTypes: [],
});

/**
 * Whether the event is (or holds) a lifecycle-hook message: one names the hanging action's key or hook.
 * The run then lists the group's hanging hooks at once, without waiting for an instance listing that
 * shows an instance waiting on one.
 */
export const namesLifecycleHook = (hints: MessageHints): boolean =>
  hints.lifecycleActionKeys.length > 0 || hints.lifecycleHookNames.length > 0;

const WANTED = {
  scalinggroupid: "scalingGroupIds",
  instanceid: "instanceIds",
  lifecycleactionkey: "lifecycleActionKeys",
  lifecyclehookname: "lifecycleHookNames",
  lifecyclehooktype: "lifecycleHookTypes",
} as const satisfies Record<string, keyof MessageHints>;

type WantedKey = keyof typeof WANTED;

const normaliseKey = (key: string) => key.toLowerCase().replace(/[^a-z0-9]/g, "");
const ID_VALUE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const MAX_DEPTH = 32;
const MAX_NODES = 50_000;

/** Values kept per hint list: hints only narrow what a run looks at, and a message may repeat one 100,000 times. */
export const MAX_HINTS_PER_LIST = 1_000;

/** The hint lists being filled, each with the set of its values: de-duplication stays linear. */
type HintSets = { [K in keyof MessageHints]: Set<string> };

function pushHint(hints: MessageHints, sets: HintSets, list: keyof MessageHints, value: string): void {
  const seen = sets[list];
  if (seen.size >= MAX_HINTS_PER_LIST || seen.has(value)) return;
  seen.add(value);
  hints[list].push(value);
}

function add(hints: MessageHints, sets: HintSets, key: WantedKey, value: unknown): void {
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    if (typeof v !== "string" && typeof v !== "number") continue;
    const s = String(v).trim();
    if (ID_VALUE.test(s)) pushHint(hints, sets, WANTED[key], s);
  }
}

function walk(
  node: unknown,
  hints: MessageHints,
  sets: HintSets,
  depth: number,
  budget: { nodes: number },
): void {
  if (depth > MAX_DEPTH || --budget.nodes < 0 || node === null || typeof node !== "object") {
    if (typeof node === "string" && node.length > 1 && /^\s*[{[]/.test(node)) {
      // JSON inside a string field (SMN wraps AS messages this way sometimes).
      try {
        walk(JSON.parse(node), hints, sets, depth + 1, budget);
      } catch {
        /* plain text inside a field carries nothing we can trust */
      }
    }
    return;
  }
  if (Array.isArray(node)) {
    for (const item of node) walk(item, hints, sets, depth + 1, budget);
    return;
  }
  for (const [k, v] of Object.entries(node)) {
    const nk = normaliseKey(k);
    // Own keys only: `constructor` is "in" every object.
    if (Object.hasOwn(WANTED, nk)) add(hints, sets, nk as WantedKey, v);
    walk(v, hints, sets, depth + 1, budget);
  }
}

const TEXT_PAIR =
  /(scaling[_ ]?group[_ ]?id|instance[_ ]?id|lifecycle[_ ]?action[_ ]?key|lifecycle[_ ]?hook[_ ]?(?:name|type))["']?\s*[:=]\s*["']?([A-Za-z0-9][A-Za-z0-9_.-]*)/gi;

/** Exactly the fields of the documented message: nothing else in it (metadata, names) selects a group. */
function fromLifecycleHook(m: LifecycleHookMessage): MessageHints {
  const hints = emptyHints();
  const sets = hintSets();
  add(hints, sets, "scalinggroupid", m.scaling_group.scaling_group_id);
  add(hints, sets, "instanceid", m.scaling_instance.instance_id);
  add(hints, sets, "lifecycleactionkey", m.lifecycle_action_key);
  add(hints, sets, "lifecyclehookname", m.lifecycle_hook_name);
  add(hints, sets, "lifecyclehooktype", m.lifecycle_hook_type);
  return hints;
}

export function hintSets(): HintSets {
  return {
    scalingGroupIds: new Set(),
    instanceIds: new Set(),
    lifecycleActionKeys: new Set(),
    lifecycleHookNames: new Set(),
    lifecycleHookTypes: new Set(),
  };
}

/** Adds `found` to `into`, each value once, at most MAX_HINTS_PER_LIST a list (`sets` tracks `into`). */
export function mergeHints(into: MessageHints, sets: HintSets, found: MessageHints): void {
  for (const key of Object.keys(sets) as (keyof MessageHints)[]) {
    for (const v of found[key]) pushHint(into, sets, key, v);
  }
}

export function readMessage(message: string, knownGroupIds: readonly string[]): MessageHints {
  const hints = emptyHints();
  let parsed: unknown;
  let isJson = false;
  try {
    parsed = JSON.parse(message);
    isJson = parsed !== null && typeof parsed === "object";
  } catch {
    isJson = false;
  }
  const sets = hintSets();
  if (isJson) {
    const hook = LifecycleHookMessageSchema().safeParse(parsed);
    if (hook.success) return fromLifecycleHook(hook.data);
    walk(parsed, hints, sets, 0, { nodes: MAX_NODES });
  } else {
    for (const m of message.matchAll(TEXT_PAIR)) add(hints, sets, normaliseKey(m[1]!) as WantedKey, m[2]);
  }
  // A known group id anywhere in the text counts too: AS may name the group in prose.
  for (const id of new Set(knownGroupIds)) {
    if (!sets.scalingGroupIds.has(id) && message.includes(id)) pushHint(hints, sets, "scalingGroupIds", id);
  }
  return hints;
}
