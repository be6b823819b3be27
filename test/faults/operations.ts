/** The operations the product calls, as the emulator's call log shows them; shared by the invariants. */
import type { CallLogEntry } from "../emulator";

/** Every operation the product calls, with its method and path. */
export const OPERATIONS = [
  ["list members", "GET", /\/vpc-channels\/[^/]+\/members$/],
  ["show channel", "GET", /\/vpc-channels\/[^/]+$/],
  ["add members", "POST", /\/vpc-channels\/[^/]+\/members$/],
  ["enable", "POST", /\/members\/batch-enable$/],
  ["disable", "POST", /\/members\/batch-disable$/],
  ["delete", "DELETE", /\/vpc-channels\/[^/]+\/members\/[^/]+$/],
  ["member-groups", "POST", /\/vpc-channels\/[^/]+\/member-groups$/],
  ["health-config", "PUT", /\/vpc-channels\/[^/]+\/health-config$/],
  ["list instances", "GET", /\/scaling_group_instance\/[^/]+\/list$/],
  ["list hooks", "GET", /\/scaling_instance_hook\/[^/]+\/list$/],
  ["callback", "PUT", /\/scaling_instance_hook\/[^/]+\/callback$/],
  ["standby", "POST", /\/scaling_group_instance\/[^/]+\/action$/],
  ["ecs servers", "GET", /\/cloudservers\/detail$/],
  ["ecs tags", "POST", /\/cloudservers\/[^/]+\/tags\/action$/],
  ["smn publish", "POST", /\/notifications\/topics\/[^/]+\/publish$/],
] as const;
export type Operation = (typeof OPERATIONS)[number][0];
export const FAULT_OPS: readonly Operation[] = OPERATIONS.map(([op]) => op);

export function operationOf(c: Pick<CallLogEntry, "method" | "path">): Operation | undefined {
  return OPERATIONS.find(([, method, path]) => c.method === method && path.test(c.path))?.[0];
}

/** The method and path pattern of an operation, as a fault names them. */
export function routeOf(op: Operation): { method: string; path: string } {
  const [, method, path] = OPERATIONS.find(([name]) => name === op)!;
  return { method, path: path.source };
}

export const ok = (c: CallLogEntry) => c.status >= 200 && c.status < 300;

/**
 * A call the emulator carried out and answered with success. A faulted call may never have reached its
 * handler (a malformed answer is a 200 without it), so it is not counted, even one only delayed.
 */
export const applied = (c: CallLogEntry) => ok(c) && !c.fault;

/** A call whose change the cloud made, whether or not its answer reached the caller (a lost answer). */
export const carriedOut = (c: CallLogEntry) =>
  applied(c) || (c.appliedStatus !== undefined && c.appliedStatus >= 200 && c.appliedStatus < 300);

/** The channel a gateway call names. */
export const channelOf = (c: Pick<CallLogEntry, "path">) => /\/vpc-channels\/([^/]+)/.exec(c.path)?.[1] ?? "";

/** The scaling group an AS call names. */
export const scalingGroupOf = (c: Pick<CallLogEntry, "path">) =>
  /\/(?:scaling_group_instance|scaling_instance_hook)\/([^/]+)\//.exec(c.path)?.[1] ?? "";

/** The server an ECS tag call names. */
export const serverOf = (c: Pick<CallLogEntry, "path">) =>
  /\/cloudservers\/([^/]+)\/tags/.exec(c.path)?.[1] ?? "";
