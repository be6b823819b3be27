import type { EmulatorState, GroupTag, HangingEntry, MemberHealth, VpcMemberInfo } from "./model";
import type { HangingInput, InstanceInput, StateInput } from "./state";

/** The services one emulator answers for; faults and the call log name them. */
export type Service = "gateway" | "as" | "ecs" | "smn" | "fgs";

export interface Credential {
  ak: string;
  sk: string;
  /** When set, requests must carry (and sign) an equal `X-Security-Token`. */
  securityToken?: string;
}

export interface EmulatorOptions {
  /** Default 0 (ephemeral). The host is always 127.0.0.1. */
  port?: number;
  /** Default "proj-emulator". */
  projectId?: string;
  /** Default [{ ak: "EMULATORAK", sk: "EMULATORSK" }]. */
  credentials?: Credential[];
  /** Members per VPC channel, default 10 (APIG.3110 beyond). */
  memberQuota?: number;
  /** Added to every API call (not control calls), default 0. Writes hold their channel busy meanwhile. */
  latencyMs?: number;
  /** health_status of new APIG members, default "healthy". */
  defaultMemberHealth?: MemberHealth;
  /**
   * Serve at most this many items a page (members and AS instances) whatever limit is asked for, like
   * a gateway whose page size is capped below the documented maximum. Default: no extra cap.
   */
  pageSizeCap?: number;
  /**
   * In process only: the clock of every time the emulator hands out (create times, call-log times,
   * `deleted.disabled_since`), say a test's virtual clock. Default `Date.now`. Request signatures are
   * checked against the real clock whatever this says.
   */
  now?: () => number;
}

/** The options that can change while the emulator runs. */
export type OptionsUpdate = Partial<
  Pick<EmulatorOptions, "memberQuota" | "latencyMs" | "defaultMemberHealth" | "pageSizeCap">
>;

/** The runtime-changeable options as `GET /_emulator/options` reads them back. */
export interface CurrentOptions {
  memberQuota: number;
  latencyMs: number;
  defaultMemberHealth: MemberHealth;
  pageSizeCap: number | null;
}

/**
 * A scripted failure. The first fault whose method, path (a regex source matched against the request
 * path) and service match, and that has uses left, replaces the real handler. A fault with only
 * `delayMs` delays the call and then runs the real handler.
 */
export interface Fault {
  id?: string;
  method?: string;
  path?: string;
  service?: Service;
  /** Uses before the fault retires; default 1, 0 = forever. */
  times?: number;
  /** Response status; default 500 when the fault answers and no status is given. */
  status?: number;
  /** Response body: a string is written as is, anything else as JSON. Default: the service's error body. */
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Destroy the socket without a response. */
  reset?: boolean;
  /** Answer 200 with a truncated JSON body. */
  malformed?: boolean;
  /** Never answer; the client has to time out. */
  hang?: boolean;
  /**
   * Apply the request first (the real handler runs and changes state), then answer with the fault
   * instead of the handler's answer: a write the cloud did whose answer was lost (e.g. 504, reset).
   */
  afterApply?: boolean;
  /**
   * A gateway write that keeps its channel busy until another write to the same channel has been
   * refused for the overlap (500 APIG.9999), then completes normally: two invocations' writes overlap
   * deterministically. Released early when the client gives up.
   */
  holdUntilOverlap?: boolean;
  /**
   * Answer 200 with a JSON body of this many bytes (a members page whose one id is that long), streamed
   * in chunks as the client reads: the emulator never holds it. A client that stops reading ends it.
   */
  hugeBody?: number;
  /**
   * Answer a listing (members, or a group's instances) with the same one-item page whatever the
   * offset, and a total always one ahead of the reader: a listing that never ends.
   */
  endlessPaging?: boolean;
  /** Answer with `status` (default 401) and a text/plain body that echoes every request header. */
  echoHeaders?: boolean;
}

/**
 * A write that an operator would not want: PUT channel without `member_groups` (wipes every group and
 * its members), PUT channel deleting an existing group, PUT channel with non-empty `members` (replaces
 * all members). Recorded on the call so tests can assert the client never does it.
 */
export type Trap = "member_groups_absent" | "member_groups_deleted" | "members_replaced";

export interface CallLogEntry {
  /** Arrival order, never reused (not even after clearCalls). */
  seq: number;
  /** Arrival time, ISO 8601. */
  time: string;
  method: string;
  /** Raw request path without the query. */
  path: string;
  /** Decoded query parameters; a repeated key gives an array. */
  query: Record<string, string | string[]>;
  /** Parsed JSON body, the raw text when it is not JSON, undefined when empty. */
  body: unknown;
  /** Response status; 0 while in flight and for reset / hang faults. */
  status: number;
  service: Service | "unknown";
  fault: boolean;
  /** A `hang` fault: when the client gave up and closed the connection, ISO 8601. */
  closed?: string;
  /** An `afterApply` fault: the handler's status (the state changed), though the client got the fault. */
  appliedStatus?: number;
  headers: { "x-project-id"?: string; "x-security-token"?: "<present>" };
  traps?: Trap[];
  /**
   * A member DELETE that removed a member: the member as it was and, when it was disabled, since when
   * (its batch-disable, or when it was loaded or added disabled). What a test needs to
   * see that a member was disabled, and for how long, before it was deleted.
   */
  deleted?: DeletedMember;
}

export interface DeletedMember {
  member: VpcMemberInfo;
  disabled_since?: string;
}

/** Selects members of one channel: by member_id, ecs_id or host; none of them selects every member. */
export interface MemberHealthUpdate {
  instance_id: string;
  vpc_channel_id: string;
  member_id?: string;
  ecs_id?: string;
  host?: string;
  health_status: MemberHealth;
}

/** An AS instance to add or update; `ipv4` also creates or updates the ECS server of the same id. */
export type InstanceUpsert = InstanceInput & { scaling_group_id: string; ipv4?: string };

export type HangingHookInput = HangingInput & { scaling_group_id: string };

/** In-process twin of the HTTP control API; every method is synchronous and throws on bad input. */
export interface EmulatorControl {
  load(state: StateInput): void;
  state(): EmulatorState;
  reset(): void;
  addFault(fault: Fault | Fault[]): void;
  clearFaults(): void;
  calls(): CallLogEntry[];
  clearCalls(): void;
  setMemberHealth(update: MemberHealthUpdate): void;
  setInstance(instance: InstanceUpsert): void;
  removeInstance(scalingGroupId: string, instanceId: string): void;
  /** Adds a HANGING entry (key generated when absent) and returns it. */
  addHangingHook(entry: HangingHookInput): HangingEntry;
  /**
   * The hanging action's timeout passes: AS applies its `default_result` as a callback would (the entry
   * goes; an instance with no other hanging action moves on). Throws when no such entry hangs.
   */
  timeOutHook(scalingGroupId: string, lifecycleActionKey: string): void;
  setOptions(update: OptionsUpdate): void;
  /** The runtime-changeable options as they are now (`pageSizeCap` null when unset). */
  options(): CurrentOptions;
  /** Replaces a scaling group's tags (AS's rules: ≤ 10 tags, keys ≤ 36 and values ≤ 43 characters). */
  setGroupTags(scalingGroupId: string, tags: GroupTag[]): void;
  /** Starts or ends a scaling activity of a group (AS refuses batch actions meanwhile); ending it puts
   *  the replacements that ENTER_STANDBY launched in service. */
  setScalingActivity(scalingGroupId: string, active: boolean): void;
  /**
   * In process only: runs `action` (awaited) once, after the next API call matching `method` and
   * `path` (a regex source) has been handled and before its answer is sent, with that call's log entry
   * (status still 0). This puts another actor's change, say an operator's edit of a channel, exactly
   * between two of the client's calls, or lets a test see the state a call left.
   */
  afterNextCall(match: { method: string; path: string }, action: (call: CallLogEntry) => unknown): void;
}

export interface Emulator {
  /** "http://127.0.0.1:<port>" */
  url: string;
  projectId: string;
  control: EmulatorControl;
  close(): Promise<void>;
}
