import type * as z from "zod/mini";
import { InputError } from "./errors";
import { hintSets, type MessageHints, mergeHints, readMessage } from "./message";
import {
  type BackfillPayload,
  BackfillPayloadSchema,
  SmnEnvelopeSchema,
  SmnRecordSchema,
  TimerEventSchema,
} from "./schemas";

export type FunctionKind = "scaling-events" | "reconcile" | "backfill";

/** A record of the event that could not be read; it becomes a `parse_event` dead letter. */
export interface UnreadableRecord {
  index: number;
  reason: string;
  message_id?: string;
}

/** Which bindings to look at, and how. Events are only hints: the run reads current state anyway. */
export interface Selection {
  /** `all`, or the scaling group ids whose bindings to reconcile. */
  groups: "all" | string[];
  dryRun: boolean;
  /** What the event said, for the logs. */
  hints: MessageHints;
  unreadable: UnreadableRecord[];
}

function describeIssues(where: string, error: z.core.$ZodError): string {
  return error.issues
    .map((i) => `${[where, ...i.path.map(String)].filter(Boolean).join(".")}: ${i.message}`)
    .join("; ");
}

const emptyHints = (): MessageHints => ({
  scalingGroupIds: [],
  instanceIds: [],
  lifecycleActionKeys: [],
  lifecycleHookNames: [],
});

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

/** FunctionGraph may hand a console test event as a JSON string or a Buffer; accept both. */
function normalise(event: unknown): unknown {
  if (typeof event === "string" || Buffer.isBuffer(event)) {
    const text = event.toString();
    if (text.trim() === "") return {};
    try {
      return JSON.parse(text);
    } catch {
      throw new InputError("the event is text that is not JSON");
    }
  }
  return event ?? {};
}

function fromBackfill(payload: unknown, where: string): Selection {
  const parsed = BackfillPayloadSchema().safeParse(payload);
  if (!parsed.success)
    throw new InputError(`invalid backfill payload: ${describeIssues(where, parsed.error)}`);
  return selectionFromPayload(parsed.data);
}

export function selectionFromPayload(payload: BackfillPayload): Selection {
  const ids = payload.scaling_group_ids;
  return {
    groups: ids === undefined ? "all" : [...new Set(ids)],
    dryRun: payload.dry_run ?? false,
    hints: emptyHints(),
    unreadable: [],
  };
}

function fromTimer(event: unknown): Selection {
  const parsed = TimerEventSchema().safeParse(event);
  if (!parsed.success) throw new InputError(`invalid TIMER event: ${describeIssues("", parsed.error)}`);
  const userEvent = parsed.data.user_event?.trim();
  if (userEvent?.startsWith("{")) {
    let payload: unknown;
    try {
      payload = JSON.parse(userEvent);
    } catch {
      throw new InputError("TIMER user_event starts with { but is not valid JSON");
    }
    return fromBackfill(payload, "user_event");
  }
  return selectionFromPayload({});
}

function fromSmn(event: unknown, knownGroupIds: readonly string[]): Selection {
  const envelope = SmnEnvelopeSchema().safeParse(event);
  if (!envelope.success) {
    throw new InputError(`not an SMN trigger event: ${describeIssues("", envelope.error)}`);
  }
  const hints = emptyHints();
  const sets = hintSets();
  const known = new Set(knownGroupIds);
  const unreadable: UnreadableRecord[] = [];
  let namesUnknownOrNoGroup = false;
  let anyRead = false;
  envelope.data.record.forEach((raw, index) => {
    const rec = SmnRecordSchema().safeParse(raw);
    if (!rec.success) {
      const id = (raw as { smn?: { message_id?: unknown } } | null)?.smn?.message_id;
      unreadable.push({
        index,
        reason: describeIssues(`record[${index}]`, rec.error),
        ...(typeof id === "string" ? { message_id: id } : {}),
      });
      return;
    }
    anyRead = true;
    const found = readMessage(rec.data.smn.message, knownGroupIds);
    if (!found.scalingGroupIds.some((id) => known.has(id))) namesUnknownOrNoGroup = true;
    mergeHints(hints, sets, found);
  });
  // A message that names no group we know reconciles everything: an event is only a hint.
  const groups: Selection["groups"] = !anyRead
    ? []
    : namesUnknownOrNoGroup
      ? "all"
      : hints.scalingGroupIds.filter((id) => known.has(id));
  return { groups, dryRun: false, hints, unreadable };
}

/**
 * Turns a trigger event into a Selection. Each function reads its own trigger first and is lenient
 * about the others (a TIMER event sent to backfill, a backfill payload sent to reconcile).
 */
export function readEvent(
  kind: FunctionKind,
  rawEvent: unknown,
  knownGroupIds: readonly string[],
): Selection {
  const event = normalise(rawEvent);
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw new InputError(`the event must be a JSON object, got ${typeName(event)}`);
  }
  const e = event as Record<string, unknown>;
  if ("record" in e) return fromSmn(e, knownGroupIds);
  if (e.trigger_type !== undefined) return fromTimer(e);
  if (kind === "scaling-events") {
    throw new InputError(
      'not an SMN trigger event: record: missing (expected {"record":[{"smn":{"message":…}}]})',
    );
  }
  return fromBackfill(e, "");
}
