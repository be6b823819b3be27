/**
 * What names a channel, a target (one member group of one channel) and a binding, and the keys runs,
 * logs and the CLI know them by. It imports nothing, so every layer can use it, the configuration's
 * cross-binding rules (config/schema.ts) as much as the planner and the CLI. The keys are unambiguous:
 * no id or member group name may hold `/` or `@` (config/schema.ts).
 */

export type GatewayKind = "roma" | "apig";

/** A VPC channel: its gateway kind, instance and id. */
export interface ChannelRef {
  gateway: GatewayKind;
  instance_id: string;
  vpc_channel_id: string;
}

/** One member group of one channel: what bindings that share it reconcile together. */
export interface TargetRef extends ChannelRef {
  member_group_name: string;
}

/** A scaling group bound to a target. */
export interface BindingRef extends TargetRef {
  scaling_group_id: string;
}

/** A binding as a dead letter records it: every field but the gateway. */
export type RecordedBinding = Omit<BindingRef, "gateway">;

/** `<gateway>/<instance_id>/<vpc_channel_id>`. */
export const channelKey = (c: ChannelRef): string => `${c.gateway}/${c.instance_id}/${c.vpc_channel_id}`;

/** The target key of a member group on the channel whose key is given (a plan entry holds both). */
export const targetKeyIn = (channel: string, memberGroupName: string | undefined): string =>
  `${channel}/${memberGroupName}`;

/** `<channel key>/<member_group_name>`. */
export const targetKey = (t: TargetRef): string => targetKeyIn(channelKey(t), t.member_group_name);

/** How log lines name a binding: `<scaling_group_id>@<target key>`. */
export const bindingLabel = (b: BindingRef): string => `${b.scaling_group_id}@${targetKey(b)}`;

/** Several bindings' labels, comma-joined: the `binding` field of a log line. */
export const bindingLabels = (bindings: readonly BindingRef[]): string =>
  bindings.map(bindingLabel).join(",");

/** Whether a dead letter's binding is this binding: every field it records, matched exactly. */
export const isRecordedAs = (b: BindingRef, recorded: RecordedBinding): boolean =>
  b.scaling_group_id === recorded.scaling_group_id &&
  b.instance_id === recorded.instance_id &&
  b.vpc_channel_id === recorded.vpc_channel_id &&
  b.member_group_name === recorded.member_group_name;

/**
 * Every binding of the selected groups, and every other binding that shares a target with them: a
 * shared target is only correct when all of its groups are read together.
 */
export function selectBindings<B extends BindingRef>(
  all: readonly B[],
  groups: "all" | readonly string[],
): B[] {
  if (groups === "all") return [...all];
  const wanted = new Set(groups);
  const targets = new Set(all.filter((b) => wanted.has(b.scaling_group_id)).map(targetKey));
  return all.filter((b) => wanted.has(b.scaling_group_id) || targets.has(targetKey(b)));
}
