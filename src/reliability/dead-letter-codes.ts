import { hintForError } from "../cloud/error-codes";

/**
 * The codes of the dead letters this code raises itself, where no cloud call failed: an event it
 * cannot read, a tag binding it will not act on. Each with what an operator does about it (the CLI's
 * `fix:` lines); README's troubleshooting table documents the same codes (test/reliability holds the
 * two together). The codes of failed cloud calls are in ../cloud/error-codes.ts.
 */
export const DEAD_LETTER_CODES = {
  UNREADABLE_RECORD: {
    hint: "an SMN record of the event could not be read: check what publishes to the events topic; the timer run covers every binding meanwhile",
  },
  UNREADABLE_EVENT: {
    hint: "the event could not be read at all: check what invokes the function; the timer run covers every binding meanwhile",
  },
  INVALID_BINDING_TAGS: {
    hint: "fix the group's channel-autoscaler-* tags (console or Terraform tags), check with npx channel-autoscaler validate, then replay",
  },
  TAG_BINDING_NOT_ALLOWED: {
    hint: "the tags name a channel TAG_BINDINGS_ALLOWED does not list: if the channel's owner agrees, add it there (Terraform tag_bindings_allowed) and replay; otherwise fix or remove the group's tags",
  },
  MEMBER_GROUP_NOT_MANAGED: {
    hint: "the member group exists and is not marked as the function's (member_group_remark managed-by=channel-autoscaler): name another member group in the tags, or, if the channel's owner hands this one over, set its remark to that value, then replay",
  },
} as const satisfies Record<string, { hint: string }>;

export type DeadLetterCode = keyof typeof DEAD_LETTER_CODES;

/** What an operator does about a dead letter's error: its own code's hint, or the cloud error's. */
export function deadLetterHint(error: { code: string; message: string }): string | undefined {
  return Object.hasOwn(DEAD_LETTER_CODES, error.code)
    ? DEAD_LETTER_CODES[error.code as DeadLetterCode].hint
    : hintForError(error);
}
