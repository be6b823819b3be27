import type * as z from "zod/mini";
import { InputError } from "./errors";

import { partitionByBinding } from "./groups";
import {
  emptyHints,
  hintSets,
  MAX_HINTS_PER_LIST,
  type MessageHints,
  mergeHints,
  readMessage,
} from "./message";

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
  /** What the event said that the run acts on in its own way (a note, groups without a binding). */
  warnings: string[];
}

function describeIssues(where: string, error: z.core.$ZodError): string {
  return error.issues
    .map((i) => `${[where, ...i.path.map(String)].filter(Boolean).join(".")}: ${i.message}`)
    .join("; ");
}

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
    warnings: [],
  };
}

/** The keys that make a JSON object recognisably a backfill payload (CONTRACT, events accepted). */
const PAYLOAD_KEYS = ["scaling_group_ids", "dry_run"] as const;
const NOTE_ECHO_CHARS = 200;

/**
 * The backfill payload a TIMER user_event holds, or undefined when it is a note: free text, or JSON
 * without a payload key (FunctionGraph's own example is `{"message": "timer triggered event", ...}`).
 * Text that names a payload key but is not JSON is a payload gone wrong, not a note.
 */
function payloadInUserEvent(text: string): { payload: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    if (text.startsWith("{") && PAYLOAD_KEYS.some((k) => text.includes(k))) {
      throw new InputError("TIMER user_event starts with { but is not valid JSON");
    }
    return undefined;
  }
  const isPayload =
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    PAYLOAD_KEYS.some((k) => Object.hasOwn(value, k));
  return isPayload ? { payload: value } : undefined;
}

function fromTimer(event: unknown): Selection {
  const parsed = TimerEventSchema().safeParse(event);
  if (!parsed.success) throw new InputError(`invalid TIMER event: ${describeIssues("", parsed.error)}`);
  const userEvent = parsed.data.user_event?.trim() ?? "";
  if (userEvent === "") return selectionFromPayload({});
  const found = payloadInUserEvent(userEvent);
  if (found) return fromBackfill(found.payload, "user_event");
  const echo = userEvent.length > NOTE_ECHO_CHARS ? `${userEvent.slice(0, NOTE_ECHO_CHARS)}…` : userEvent;
  return {
    ...selectionFromPayload({}),
    warnings: [
      `TIMER user_event is a note, not a backfill payload (it has neither scaling_group_ids nor dry_run): reconciling every binding; user_event: ${echo}`,
    ],
  };
}

/** How to read the groups an event names. */
export interface ReadOptions {
  /**
   * Groups may be bound by their tags (BINDINGS_FROM_TAGS): a named group that BINDINGS does not list
   * is kept, to be looked up, instead of being taken as unknown.
   */
  tagBound?: boolean;
}

/** The hints of one SMN record, or why it cannot be read. */
function readRecord(
  raw: unknown,
  index: number,
  knownGroupIds: readonly string[],
): { found: MessageHints } | { unreadable: UnreadableRecord } {
  const rec = SmnRecordSchema().safeParse(raw);
  if (!rec.success) {
    const id = (raw as { smn?: { message_id?: unknown } } | null)?.smn?.message_id;
    return {
      unreadable: {
        index,
        reason: describeIssues(`record[${index}]`, rec.error),
        ...(typeof id === "string" ? { message_id: id } : {}),
      },
    };
  }
  const found = emptyHints();
  const foundSets = hintSets();
  mergeHints(found, foundSets, readMessage(rec.data.smn.message, knownGroupIds));
  // The subject is a hint too, read only when the message itself names no group.
  const subject = rec.data.smn.subject;
  if (found.scalingGroupIds.length === 0 && subject) {
    mergeHints(found, foundSets, readMessage(subject, knownGroupIds));
  }
  return { found };
}

function fromSmn(event: unknown, knownGroupIds: readonly string[], options: ReadOptions): Selection {
  const envelope = SmnEnvelopeSchema().safeParse(event);
  if (!envelope.success) {
    throw new InputError(`not an SMN trigger event: ${describeIssues("", envelope.error)}`);
  }
  const hints = emptyHints();
  const sets = hintSets();
  const unreadable: UnreadableRecord[] = [];
  const selected = new Set<string>();
  const unboundOnly = new Set<string>();
  let namesNoGroup = false;
  envelope.data.record.forEach((raw, index) => {
    let found: MessageHints;
    try {
      const read = readRecord(raw, index, knownGroupIds);
      if ("unreadable" in read) {
        unreadable.push(read.unreadable);
        return;
      }
      found = read.found;
    } catch (err) {
      // Whatever a record holds, it costs itself a dead letter, never the other records.
      unreadable.push({
        index,
        reason: `record[${index}] could not be read: ${err instanceof Error ? err.message : String(err)}`,
      });
      return;
    }
    mergeHints(hints, sets, found);
    // With tag bindings, whether a named group is bound is known only once its tags are read.
    const { bound, unbound } = options.tagBound
      ? { bound: [...new Set(found.scalingGroupIds)], unbound: [] }
      : partitionByBinding(found.scalingGroupIds, knownGroupIds);
    // A message naming more groups than a hint list keeps may have lost some of ours: look at all.
    if (found.scalingGroupIds.length === 0 || found.scalingGroupIds.length >= MAX_HINTS_PER_LIST)
      namesNoGroup = true;
    else if (bound.length === 0) for (const id of unbound) unboundOnly.add(id);
    for (const id of bound) selected.add(id);
  });
  // A message that names no group reconciles everything (an event is only a hint); one that names only
  // groups without a binding concerns none of ours: at hundreds of bindings it must not cost a full pass.
  const groups: Selection["groups"] = namesNoGroup ? "all" : [...selected];
  const warnings =
    unboundOnly.size > 0
      ? [
          `the event names only scaling groups that no binding has (${[...unboundOnly].join(", ")}): nothing to do for ${unboundOnly.size === 1 ? "it" : "them"}`,
        ]
      : [];
  return { groups, dryRun: false, hints, unreadable, warnings };
}

/**
 * Turns a trigger event into a Selection. Each function reads its own trigger first and is lenient
 * about the others (a TIMER event sent to backfill, a backfill payload sent to reconcile).
 */
export function readEvent(
  kind: FunctionKind,
  rawEvent: unknown,
  knownGroupIds: readonly string[],
  options: ReadOptions = {},
): Selection {
  const event = normalise(rawEvent);
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw new InputError(`the event must be a JSON object, got ${typeName(event)}`);
  }
  const e = event as Record<string, unknown>;
  if (Object.hasOwn(e, "record")) return fromSmn(e, knownGroupIds, options);
  if (e.trigger_type !== undefined) return fromTimer(e);
  if (kind === "scaling-events") {
    throw new InputError(
      'not an SMN trigger event: record: missing (expected {"record":[{"smn":{"message":…}}]})',
    );
  }
  return fromBackfill(e, "");
}
