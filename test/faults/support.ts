/**
 * Shared scenario for the fault tests: one ROMA channel with a foreign member group, one AS group
 * with a member to keep, an instance to add, a launch hook to complete, a stray member to drain and
 * delete, and a health check to enforce (so the channel is PUT). Every operation the function performs
 * happens in one run, so a fault on any one of them can be observed.
 */
import type { CallLogEntry, Emulator, StateInput, VpcMemberInfo } from "../emulator";
import { type Binding, HEALTH_CHECK, type Invocation, romaGateway, webBinding } from "../support/harness";

/** An SMN topic URN the config schema accepts (`urn:smn:<region>:<project>:<topic>`). */
export const DEAD_LETTER_TOPIC = "urn:smn:cn-north-4:0605767a:channel-autoscaler-dead-letters";

/** The binding of the rich scenario: the web group of chan-1, with a health check to enforce. */
export const richBinding: Binding = { ...webBinding, health_check: HEALTH_CHECK };

/** Members of other groups; a foreign member even shares an ecs_id with one of our instances. */
export const FOREIGN_MEMBERS = [
  { ecs_id: "foreign-1", ecs_name: "foreign-1", member_group_name: "other", weight: 3 },
  { ecs_id: "i-2", ecs_name: "shared-id", member_group_name: "other", weight: 7, status: 2 as const },
];

export function richState(): StateInput {
  return {
    gateways: romaGateway([
      ...FOREIGN_MEMBERS,
      { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
      { ecs_id: "gone-1", ecs_name: "web-gone-1", member_group_name: "web" },
    ]),
    scaling_groups: [
      {
        scaling_group_id: "asg-1",
        scaling_group_name: "web",
        instances: [
          {
            instance_id: "i-1",
            instance_name: "web-i-1",
            life_cycle_state: "INSERVICE",
            health_status: "NORMAL",
          },
          {
            instance_id: "i-2",
            instance_name: "web-i-2",
            life_cycle_state: "INSERVICE",
            health_status: "NORMAL",
          },
          {
            instance_id: "i-3",
            instance_name: "web-i-3",
            life_cycle_state: "PENDING_WAIT",
            health_status: "INITIALIZING",
          },
        ],
        lifecycle_hooks: [
          {
            lifecycle_hook_name: "launch",
            lifecycle_hook_type: "INSTANCE_LAUNCHING",
            default_result: "ABANDON",
          },
        ],
        hanging: [{ instance_id: "i-3", lifecycle_hook_name: "launch", lifecycle_action_key: "key-i-3" }],
      },
    ],
    topics: [{ topic_urn: DEAD_LETTER_TOPIC }],
  };
}

export function channelOf(emu: Emulator, gateway = "roma-1", channel = "chan-1") {
  const gw = emu.control.state().gateways.find((g) => g.instance_id === gateway);
  const chan = gw?.channels.find((c) => c.id === channel);
  if (!chan) throw new Error(`no channel ${gateway}/${channel} in the emulator`);
  return chan;
}

export const groupMembers = (emu: Emulator, group: string, gateway = "roma-1", channel = "chan-1") =>
  channelOf(emu, gateway, channel).members.filter((m) => m.member_group_name === group);

/** Members of every group but the ones named: what the function must never touch. */
export const foreignMembers = (emu: Emulator, ours: readonly string[] = ["web"]) =>
  channelOf(emu).members.filter((m) => !ours.includes(m.member_group_name));

export function sortMembers(members: readonly VpcMemberInfo[]): VpcMemberInfo[] {
  return [...members].sort((a, b) => a.id.localeCompare(b.id));
}

export const topicMessages = (emu: Emulator, urn = DEAD_LETTER_TOPIC) =>
  emu.control.state().topics.find((t) => t.topic_urn === urn)?.messages ?? [];

export const hanging = (emu: Emulator, group = "asg-1") =>
  emu.control.state().scaling_groups.find((g) => g.scaling_group_id === group)?.hanging ?? [];

export const instancesOf = (emu: Emulator, group = "asg-1") =>
  emu.control.state().scaling_groups.find((g) => g.scaling_group_id === group)?.instances ?? [];

/** A whole-channel PUT (UpdateVpcChannelV2): it replaces the channel's definition, so the product never sends it. */
export const isWholeChannelPut = (c: CallLogEntry): boolean =>
  c.method === "PUT" && /\/vpc-channels\/[^/]+$/.test(c.path);

/**
 * Calls the operator would never want, from the call log: any whole-channel PUT, and anything the
 * emulator flags (groups or members wiped).
 */
export const trapped = (emu: Emulator): CallLogEntry[] =>
  emu.control.calls().filter((c) => c.traps?.length || isWholeChannelPut(c));

/** The contract's dead-letter record fields (section 5), checked on every record a test sees. */
export function expectDeadLetterShape(record: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const want = [
    "dead_letter",
    "version",
    "time",
    "request_id",
    "function",
    "action",
    "binding",
    "instance_ids",
    "error",
    "attempts",
    "replay",
  ];
  for (const key of want) if (!(key in record)) problems.push(`missing ${key}`);
  if (record.dead_letter !== true) problems.push("dead_letter is not true");
  if (record.version !== 1) problems.push("version is not 1");
  if (typeof record.time !== "string" || Number.isNaN(Date.parse(record.time))) problems.push("bad time");
  if (!Array.isArray(record.instance_ids)) problems.push("instance_ids is not an array");
  const error = record.error as Record<string, unknown> | undefined;
  if (!error || !("status" in error) || typeof error.code !== "string" || typeof error.message !== "string")
    problems.push("error is not {status, code, message}");
  if (typeof record.attempts !== "number" || record.attempts < 1) problems.push("attempts is not >= 1");
  const binding = record.binding as Record<string, unknown> | null;
  if (binding !== null) {
    for (const key of ["scaling_group_id", "instance_id", "vpc_channel_id", "member_group_name"])
      if (typeof binding?.[key] !== "string") problems.push(`binding.${key} missing`);
  }
  const replay = record.replay as Record<string, unknown> | undefined;
  if (!replay || typeof replay !== "object") problems.push("replay is not an object");
  else {
    const extra = Object.keys(replay).filter((k) => k !== "scaling_group_ids" && k !== "dry_run");
    if (extra.length > 0) problems.push(`replay has keys a backfill payload does not: ${extra.join(", ")}`);
    if (binding && !(replay.scaling_group_ids as unknown[] | undefined)?.includes(binding.scaling_group_id))
      problems.push("replay does not select the binding's group");
  }
  return problems;
}

/** Lines of an invocation's output that look like a stack trace. */
export const stackLines = (inv: Pick<Invocation, "lines">) =>
  inv.lines.filter((l) => /^\s+at\s/.test(l) || /\\n\s+at\s/.test(l));

/** The length of a credential fragment that must appear in no output (issue 14). */
export const FRAGMENT = 16;

/**
 * Every FRAGMENT-character piece of each credential, as is, percent-encoded and JSON-escaped (an
 * independent oracle: the product's scrubber is not used to check itself). Shorter credentials whole.
 */
export function credentialFragments(secrets: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const secret of secrets) {
    for (const form of [secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]) {
      if (form.length < FRAGMENT) out.add(form);
      for (let i = 0; i + FRAGMENT <= form.length; i++) out.add(form.slice(i, i + FRAGMENT));
    }
  }
  return out;
}

/** The first fragment of a credential found in the text, with some context, or undefined. */
export function findCredentialFragment(text: string, secrets: readonly string[]): string | undefined {
  for (const fragment of credentialFragments(secrets)) {
    const at = text.indexOf(fragment);
    if (at >= 0) return `${fragment} in …${text.slice(Math.max(0, at - 80), at + 40)}…`;
  }
  return undefined;
}

/** A security token as long as the ones IAM issues for agencies (1,216 characters of base64). */
export const LONG_TOKEN = Buffer.from(Array.from({ length: 912 }, (_, i) => (i * 131 + 7) % 256)).toString(
  "base64",
);
