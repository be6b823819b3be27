import * as z from "zod";

const SmnRecordSchema = z.looseObject({
  event_source: z.string().optional(),
  smn: z.looseObject({
    message: z.string({ error: "smn.message must be a string" }),
    subject: z.string().nullish(),
    topic_urn: z.string().nullish(),
    message_id: z.string().nullish(),
    timestamp: z.string().nullish(),
    type: z.string().nullish(),
  }),
});
export type SmnRecord = z.infer<typeof SmnRecordSchema>;
export { SmnRecordSchema };

export const SmnEnvelopeSchema = z.looseObject({
  record: z.array(z.unknown(), { error: "record must be an array of SMN records" }).min(1, "record is empty"),
});

export const TimerEventSchema = z.looseObject({
  trigger_type: z.literal("TIMER"),
  version: z.string().optional(),
  time: z.string().optional(),
  trigger_name: z.string().optional(),
  user_event: z.string().optional(),
});

export const BackfillPayloadSchema = z
  .object({
    scaling_group_ids: z
      .array(z.string().min(1, "must not be empty").max(64, "is longer than 64 characters"))
      .max(1000, "lists more than 1000 groups")
      .optional(),
    dry_run: z.boolean().optional(),
  })
  .strict();
export type BackfillPayload = z.infer<typeof BackfillPayloadSchema>;
