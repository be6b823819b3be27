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

function add(hints: MessageHints, key: WantedKey, value: unknown): void {
  const values = Array.isArray(value) ? value : [value];
  for (const v of values) {
    if (typeof v !== "string" && typeof v !== "number") continue;
    const s = String(v).trim();
    const list = hints[WANTED[key]];
    if (ID_VALUE.test(s) && !list.includes(s)) list.push(s);
  }
}

function walk(node: unknown, hints: MessageHints, depth: number, budget: { nodes: number }): void {
  if (depth > MAX_DEPTH || --budget.nodes < 0 || node === null || typeof node !== "object") {
    if (typeof node === "string" && node.length > 1 && /^\s*[{[]/.test(node)) {
      // JSON inside a string field (SMN wraps AS messages this way sometimes).
      try {
        walk(JSON.parse(node), hints, depth + 1, budget);
      } catch {
        /* plain text inside a field carries nothing we can trust */
      }
    }
    return;
  }
  if (Array.isArray(node)) {
    for (const item of node) walk(item, hints, depth + 1, budget);
    return;
  }
  for (const [k, v] of Object.entries(node)) {
    const nk = normaliseKey(k);
    if (nk in WANTED) add(hints, nk as WantedKey, v);
    walk(v, hints, depth + 1, budget);
  }
}

const TEXT_PAIR =
  /(scaling[_ ]?group[_ ]?id|instance[_ ]?id|lifecycle[_ ]?action[_ ]?key|lifecycle[_ ]?hook[_ ]?(?:name|type))["']?\s*[:=]\s*["']?([A-Za-z0-9][A-Za-z0-9_.-]*)/gi;

/** Exactly the fields of the documented message: nothing else in it (metadata, names) selects a group. */
function fromLifecycleHook(m: LifecycleHookMessage): MessageHints {
  const hints = emptyHints();
  add(hints, "scalinggroupid", m.scaling_group.scaling_group_id);
  add(hints, "instanceid", m.scaling_instance.instance_id);
  add(hints, "lifecycleactionkey", m.lifecycle_action_key);
  add(hints, "lifecyclehookname", m.lifecycle_hook_name);
  add(hints, "lifecyclehooktype", m.lifecycle_hook_type);
  return hints;
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
  if (isJson) {
    const hook = LifecycleHookMessageSchema().safeParse(parsed);
    if (hook.success) return fromLifecycleHook(hook.data);
    walk(parsed, hints, 0, { nodes: MAX_NODES });
  } else {
    for (const m of message.matchAll(TEXT_PAIR)) add(hints, normaliseKey(m[1]!) as WantedKey, m[2]);
  }
  // A known group id anywhere in the text counts too: AS may name the group in prose.
  for (const id of knownGroupIds) {
    if (!hints.scalingGroupIds.includes(id) && message.includes(id)) hints.scalingGroupIds.push(id);
  }
  return hints;
}
