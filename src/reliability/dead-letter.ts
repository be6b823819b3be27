import type { SmnClient } from "../cloud/smn";
import type { Binding } from "../config/schema";
import type { Logger } from "../observability/logger";
import { deadLetterMessages } from "./dead-letter-messages";

export const DEAD_LETTER_SUBJECT = "channel-autoscaler dead letter";

export type DeadLetterAction =
  | "parse_event"
  | "read_members"
  | "read_instances"
  | "read_channel"
  | "update_channel"
  | "resolve_address"
  | "add_members"
  | "update_members"
  | "enable_members"
  | "disable_members"
  | "delete_members"
  | "complete_hook"
  | "fan_out";

export interface DeadLetterRecord {
  dead_letter: true;
  version: 1;
  time: string;
  request_id: string;
  function: string;
  action: DeadLetterAction;
  binding: {
    scaling_group_id: string;
    instance_id: string;
    vpc_channel_id: string;
    member_group_name: string;
  } | null;
  instance_ids: string[];
  error: { status: number | null; code: string; message: string };
  attempts: number;
  /** A backfill payload that retries the work: `{"scaling_group_ids":[...]}`, or `{}` for everything. */
  replay: { scaling_group_ids?: string[] };
  /** Extra context for a person (e.g. the unreadable record's message id). */
  detail?: Record<string, unknown>;
}

export interface DeadLetterInput {
  action: DeadLetterAction;
  binding: Binding | null;
  instanceIds?: readonly string[];
  error: DeadLetterRecord["error"];
  attempts: number;
  detail?: Record<string, unknown>;
}

/**
 * Whatever could not be done, never lost: each record is one JSON line on stdout at once, and an SMN
 * publish to DEAD_LETTER_TOPIC_URN when set (several, for a record larger than an SMN message). A
 * failed publish is logged with the record, never dropped.
 */
export class DeadLetterSink {
  readonly records: DeadLetterRecord[] = [];
  private readonly publishes: Promise<void>[] = [];

  constructor(
    private readonly opts: {
      requestId: string;
      functionName: string;
      logger: Logger;
      topicUrn: string | undefined;
      smn: SmnClient | undefined;
      now?: () => Date;
    },
  ) {}

  add(input: DeadLetterInput): DeadLetterRecord {
    const b = input.binding;
    const record: DeadLetterRecord = {
      dead_letter: true,
      version: 1,
      time: (this.opts.now?.() ?? new Date()).toISOString(),
      request_id: this.opts.requestId,
      function: this.opts.functionName,
      action: input.action,
      binding: b
        ? {
            scaling_group_id: b.scaling_group_id,
            instance_id: b.instance_id,
            vpc_channel_id: b.vpc_channel_id,
            member_group_name: b.member_group_name,
          }
        : null,
      instance_ids: [...(input.instanceIds ?? [])],
      error: input.error,
      attempts: input.attempts,
      replay: b ? { scaling_group_ids: [b.scaling_group_id] } : {},
      ...(input.detail ? { detail: input.detail } : {}),
    };
    this.records.push(record);
    this.opts.logger.raw(record as unknown as Record<string, unknown>);
    const { topicUrn, smn } = this.opts;
    if (topicUrn && smn) {
      // Within SMN's limits whatever the record holds: split by instance ids, or trimmed, never refused.
      const messages = deadLetterMessages(record, (r) => this.opts.logger.scrub(JSON.stringify(r)));
      for (const [i, message] of messages.entries()) {
        this.publishes.push(
          smn.publish(topicUrn, DEAD_LETTER_SUBJECT, message).catch((err: unknown) => {
            this.opts.logger.error(
              "dead letter publish failed; the record above is the copy to replay from",
              {
                action: "publish_dead_letter",
                topic_urn: topicUrn,
                error: {
                  code: (err as { code?: string }).code ?? "UNKNOWN",
                  message: (err as Error).message,
                },
                dead_letter_action: record.action,
                binding: record.binding,
                ...(messages.length > 1 ? { part: `${i + 1}/${messages.length}` } : {}),
              },
            );
          }),
        );
      }
    }
    return record;
  }

  /** Waits for every SMN publish to settle (they never reject). */
  async flush(): Promise<void> {
    await Promise.all(this.publishes);
  }
}
