/** The step a dead letter says could not be done. */
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
  | "fan_out"
  | "discover_bindings"
  | "tag_binding";

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
