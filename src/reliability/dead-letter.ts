import { describeError } from "../cloud/errors";
import type { SmnClient } from "../cloud/smn";
import type { Binding } from "../config/schema";
import type { Logger } from "../observability/logger";

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
  | "quarantine"
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
 * What became of the SMN copies of the records. Delivery is at-least-once: a publish whose answer
 * never came (timeout, reset, deadline) may have reached the topic all the same, so it is
 * `unconfirmed`, not failed; only an error answer from SMN (`refused`) proves it was not delivered.
 * Every record with a topic set ends in exactly one of the three.
 */
export interface DeadLetterDelivery {
  published: number;
  refused: number;
  unconfirmed: number;
}

/**
 * Whatever could not be done, never lost: each record is one JSON line on stdout at once, and an SMN
 * publish to DEAD_LETTER_TOPIC_URN when set. A publish that is refused or not confirmed is logged with
 * the record's identity, never dropped: the stdout line is the copy to replay from.
 */
export class DeadLetterSink {
  readonly records: DeadLetterRecord[] = [];
  readonly delivery: DeadLetterDelivery = { published: 0, refused: 0, unconfirmed: 0 };
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
      const message = this.opts.logger.scrub(JSON.stringify(record));
      this.publishes.push(
        smn.publish(topicUrn, DEAD_LETTER_SUBJECT, message).then(
          () => {
            this.delivery.published++;
          },
          (err: unknown) => this.logUndelivered(record, topicUrn, err),
        ),
      );
    }
    return record;
  }

  private logUndelivered(record: DeadLetterRecord, topicUrn: string, err: unknown): void {
    const error = describeError(err);
    // An answer from SMN means it did not take the message; no answer means we cannot know.
    const delivery = error.status === null ? "unconfirmed" : "refused";
    this.delivery[delivery]++;
    this.opts.logger.error(
      delivery === "refused"
        ? "dead letter publish refused; the record above is the copy to replay from"
        : "dead letter publish not confirmed (it may still have reached the topic: delivery is at-least-once); the record above is the copy to replay from",
      {
        action: "publish_dead_letter",
        delivery,
        topic_urn: topicUrn,
        error,
        dead_letter_action: record.action,
        binding: record.binding,
      },
    );
  }

  /** Waits for every SMN publish to settle (they never reject). */
  async flush(): Promise<void> {
    await Promise.all(this.publishes);
  }
}
