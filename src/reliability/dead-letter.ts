import { describeError } from "../cloud/errors";
import type { SmnClient } from "../cloud/smn";
import type { Binding } from "../config/schema";
import type { Logger } from "../observability/logger";
import { deadLetterMessages } from "./dead-letter-messages";
import type { DeadLetterAction, DeadLetterRecord } from "./dead-letter-record";

// The record's shape has its own module so dead-letter-messages.ts can use it without an import circle.
export type { DeadLetterAction, DeadLetterRecord } from "./dead-letter-record";

export const DEAD_LETTER_SUBJECT = "channel-autoscaler dead letter";

export interface DeadLetterInput {
  action: DeadLetterAction;
  binding: Binding | null;
  /** The group to replay when there is no binding (a tagged group whose tags are bad). */
  scalingGroupId?: string;
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
 * publish to DEAD_LETTER_TOPIC_URN when set (several, for a record larger than an SMN message). A
 * publish that is refused or not confirmed is logged with the record's identity, never dropped: the
 * stdout line is the copy to replay from.
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
      replay: b
        ? { scaling_group_ids: [b.scaling_group_id] }
        : input.scalingGroupId
          ? { scaling_group_ids: [input.scalingGroupId] }
          : {},
      ...(input.detail ? { detail: input.detail } : {}),
    };
    this.records.push(record);
    this.opts.logger.raw(record as unknown as Record<string, unknown>);
    const { topicUrn, smn } = this.opts;
    if (topicUrn && smn) {
      // Within SMN's limits whatever the record holds: split by instance ids, or trimmed, never refused.
      const messages = deadLetterMessages(record, (r) => this.opts.logger.scrub(JSON.stringify(r)));
      const parts = messages.map((message, i) =>
        smn.publish(topicUrn, DEAD_LETTER_SUBJECT, message).then(
          () => "published" as const,
          (err: unknown) =>
            this.logUndelivered(
              record,
              topicUrn,
              err,
              messages.length > 1 ? `${i + 1}/${messages.length}` : undefined,
            ),
        ),
      );
      // A record's fate is its worst part's.
      this.publishes.push(
        Promise.all(parts).then((fates) => {
          const fate = fates.includes("refused")
            ? "refused"
            : fates.includes("unconfirmed")
              ? "unconfirmed"
              : "published";
          this.delivery[fate]++;
        }),
      );
    }
    return record;
  }

  private logUndelivered(
    record: DeadLetterRecord,
    topicUrn: string,
    err: unknown,
    part: string | undefined,
  ): "refused" | "unconfirmed" {
    const error = describeError(err);
    // An answer from SMN means it did not take the message; no answer means we cannot know.
    const delivery = error.status === null ? "unconfirmed" : "refused";
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
        ...(part !== undefined ? { part } : {}),
      },
    );
    return delivery;
  }

  /** Waits for every SMN publish to settle (they never reject). */
  async flush(): Promise<void> {
    await Promise.all(this.publishes);
  }
}
