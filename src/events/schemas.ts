import * as z from "zod/mini";
import { lazy } from "../config/zod";

// Built on first use: each function reads one kind of trigger, so the others' schemas are never built.

export const SmnRecordSchema = lazy(() =>
  z.looseObject({
    event_source: z.optional(z.string()),
    smn: z.looseObject({
      message: z.string({ error: "smn.message must be a string" }),
      subject: z.nullish(z.string()),
      topic_urn: z.nullish(z.string()),
      message_id: z.nullish(z.string()),
      timestamp: z.nullish(z.string()),
      type: z.nullish(z.string()),
    }),
  }),
);
export type SmnRecord = z.infer<ReturnType<typeof SmnRecordSchema>>;

export const SmnEnvelopeSchema = lazy(() =>
  z.looseObject({
    record: z
      .array(z.unknown(), { error: "record must be an array of SMN records" })
      .check(z.minLength(1, "record is empty")),
  }),
);

export const TimerEventSchema = lazy(() =>
  z.looseObject({
    trigger_type: z.literal("TIMER"),
    version: z.optional(z.string()),
    time: z.optional(z.string()),
    trigger_name: z.optional(z.string()),
    user_event: z.optional(z.string()),
  }),
);

export const BackfillPayloadSchema = lazy(() =>
  z.strictObject({
    scaling_group_ids: z.optional(
      z
        .array(
          z
            .string()
            .check(z.minLength(1, "must not be empty"), z.maxLength(64, "is longer than 64 characters")),
        )
        .check(z.maxLength(1000, "lists more than 1000 groups")),
    ),
    dry_run: z.optional(z.boolean()),
  }),
);
export type BackfillPayload = z.infer<ReturnType<typeof BackfillPayloadSchema>>;

/**
 * The message AS publishes for a lifecycle hook (AS user guide, "Lifecycle hooks", notification topic
 * sample, public in huaweicloudDocs/as): the ids are nested under `scaling_group` and `scaling_instance`.
 */
export const LifecycleHookMessageSchema = lazy(() =>
  z.looseObject({
    service: z.literal("AutoScaling"),
    lifecycle_hook_type: z.enum(["INSTANCE_LAUNCHING", "INSTANCE_TERMINATING"]),
    lifecycle_hook_name: z.string(),
    lifecycle_action_key: z.string(),
    scaling_instance: z.looseObject({ instance_id: z.string() }),
    scaling_group: z.looseObject({ scaling_group_id: z.string() }),
  }),
);
export type LifecycleHookMessage = z.infer<ReturnType<typeof LifecycleHookMessageSchema>>;
