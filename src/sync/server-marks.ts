import type { EcsClient } from "../cloud/ecs";
import { describeError, type IncompleteAnswerError } from "../cloud/errors";
import type { Logger } from "../observability/logger";
import { type QuarantineDecision, UNHEALTHY_SINCE_TAG } from "../plan/decide-quarantine";
import { iso, QUARANTINED_AT_TAG } from "../plan/quarantine-budget";

/** Log fields that name the binding and group a quarantine step is for. */
export type Context = Record<string, unknown>;

/** The two tags replace_unhealthy keeps on servers, as read: instance id → value. */
export interface ServerMarks {
  unhealthySince: Map<string, string>;
  quarantinedAt: Map<string, string>;
  /** Servers ECS's answers left out: their tags are unknown, not absent. */
  unread: Set<string>;
  /** The error that names them. */
  missing: IncompleteAnswerError | undefined;
}

/** The replace_unhealthy tags of these servers (ECS ListServersDetails, 100 servers a call). */
export async function readServerMarks(ecs: EcsClient, serverIds: readonly string[]): Promise<ServerMarks> {
  const marks: ServerMarks = {
    unhealthySince: new Map(),
    quarantinedAt: new Map(),
    unread: new Set(),
    missing: undefined,
  };
  if (serverIds.length === 0) return marks;
  const lookup = await ecs.serverTags(serverIds);
  marks.missing = lookup.missing;
  marks.unread = new Set(lookup.missing?.ids ?? []);
  for (const [id, tags] of lookup.found) {
    const since = tags.get(UNHEALTHY_SINCE_TAG);
    if (since !== undefined) marks.unhealthySince.set(id, since);
    const at = tags.get(QUARANTINED_AT_TAG);
    if (at !== undefined) marks.quarantinedAt.set(id, at);
  }
  return marks;
}

/**
 * One tag write on a server: whether it landed. A failure is one warn line, `failed`; a success is one
 * info line when `done` names it.
 */
export async function writeMark(
  log: Logger,
  context: Context,
  id: string,
  op: () => Promise<void>,
  failed: string,
  done?: [string, Context],
): Promise<boolean> {
  try {
    await op();
    if (done) log.info(done[0], { ...context, instance_id: id, ...done[1] });
    return true;
  } catch (err) {
    log.warn(failed, { ...context, instance_id: id, error: describeError(err) });
    return false;
  }
}

/**
 * The tag bookkeeping a decision asks for: leftover quarantined-at tags removed, unhealthy-since set and
 * removed. Bookkeeping only: a failed write is logged and done again by the next run. Returns the
 * instances whose quarantined-at tag is gone.
 */
export async function writeServerMarks(
  ecs: EcsClient,
  decision: QuarantineDecision,
  context: Context,
  log: Logger,
): Promise<string[]> {
  const write = (id: string, op: () => Promise<void>, done: [string, Context], failed: string) =>
    writeMark(log, context, id, op, failed, done);
  // First: the sooner a removal lands, the likelier a quarantine in flight that the tag belonged to sees
  // it gone in its re-count and holds back, instead of going ahead unseen by this run.
  const removed: string[] = [];
  for (const id of decision.clearQuarantinedAt) {
    const ok = await write(
      id,
      () => ecs.deleteServerTag(id, QUARANTINED_AT_TAG),
      ["instance in service carries a quarantined-at tag: removed (it holds no budget)", {}],
      "could not remove a quarantined-at tag from an instance in service",
    );
    if (ok) removed.push(id);
  }
  for (const [id, since] of decision.setTags) {
    await write(
      id,
      () => ecs.setServerTag(id, UNHEALTHY_SINCE_TAG, String(since)),
      ["member reported unhealthy: remembering since when", { unhealthy_since: iso(since) }],
      "could not tag an unhealthy member's server",
    );
  }
  for (const id of decision.clearTags) {
    await write(
      id,
      () => ecs.deleteServerTag(id, UNHEALTHY_SINCE_TAG),
      ["member healthy again: unhealthy-since tag removed", {}],
      "could not remove the unhealthy-since tag",
    );
  }
  return removed;
}
