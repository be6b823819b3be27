// Shared by the tests, the demo and the benchmarks: nothing here may import vitest.
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import path from "node:path";
import { format } from "node:util";
import { type Emulator, type StateInput, startEmulator } from "../emulator";

export const AK = "EMULATORAK";
export const SK = "EMULATORSK";

export type FunctionName = "scaling-events" | "reconcile" | "backfill";
type Handler = (event: unknown, context: unknown) => Promise<Summary>;

export interface Summary {
  bindings: number;
  added: number;
  updated: number;
  removed: number;
  disabled: number;
  unchanged: number;
  hooks_completed: number;
  ramping: number;
  bindings_discovered: number;
  skipped: number;
  quarantined: number;
  quarantine_guarded: number;
  dead_lettered: number;
  dry_run: boolean;
  plan: Array<Record<string, unknown>>;
}

const require = createRequire(import.meta.url);
const root = path.resolve(import.meta.dirname, "../..");

/** The built bundle, exactly what FunctionGraph loads (`npm run build` first; `npm test` does). */
export function loadBundle(name: FunctionName): Handler {
  return (require(path.join(root, "dist", name, "index.js")) as { handler: Handler }).handler;
}

export interface ContextOptions {
  env: Record<string, string>;
  remainingMs?: number;
  requestId?: string;
  credentials?: { ak: string; sk: string; token?: string };
}

/** A FunctionGraph-like context: environment variables reach the code only through getUserData. */
export function fakeContext(opts: ContextOptions) {
  const started = Date.now();
  const budget = opts.remainingMs ?? 60_000;
  return {
    getRequestID: () => opts.requestId ?? "req-test",
    getRemainingTimeInMilliSeconds: () => budget - (Date.now() - started),
    getSecurityAccessKey: () => opts.credentials?.ak ?? "",
    getSecuritySecretKey: () => opts.credentials?.sk ?? "",
    getSecurityToken: () => opts.credentials?.token ?? "",
    getUserData: (key: string) => opts.env[key],
    getFunctionName: () => "channel-autoscaler-test",
    getLogger: () => console,
  };
}

export interface Binding {
  scaling_group_id: string;
  instance_id: string;
  vpc_channel_id: string;
  member_group_name: string;
  gateway?: "roma" | "apig";
  weight?: number;
  slow_start_seconds?: number;
  port?: number;
  standby?: boolean;
  drain_seconds?: number;
  healthy_timeout_seconds?: number;
  health_check?: Record<string, unknown>;
  replace_unhealthy?: {
    after_seconds?: number;
    max_per_run?: number;
    max_unhealthy_fraction?: number;
    max_in_standby?: number;
    cooldown_seconds?: number;
  };
}

export function envFor(
  emu: Emulator,
  bindings: Binding[],
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    BINDINGS: JSON.stringify(bindings),
    HUAWEICLOUD_SDK_PROJECT_ID: emu.projectId,
    ROMA_ENDPOINT: emu.url,
    APIG_ENDPOINT: emu.url,
    AS_ENDPOINT: emu.url,
    ECS_ENDPOINT: emu.url,
    SMN_ENDPOINT: emu.url,
    FUNCTIONGRAPH_ENDPOINT: emu.url,
    HUAWEICLOUD_SDK_AK: AK,
    HUAWEICLOUD_SDK_SK: SK,
    RETRY_BASE_DELAY_MS: "5",
    RETRY_MAX_DELAY_MS: "20",
    REQUEST_TIMEOUT_MS: "2000",
    HEALTH_POLL_INTERVAL_MS: "50",
    HEALTH_WAIT_MAX_MS: "300",
    API_RATE_LIMIT: "1000",
    ...extra,
  };
}

const CONSOLE_METHODS = ["log", "info", "warn", "error", "debug", "trace"] as const;

/** Where the output of the capture whose async context is running goes (AsyncLocalStorage: per call chain). */
const sinks = new AsyncLocalStorage<(chunk: unknown) => void>();
/** Captures running now; the process's streams are patched while there is at least one. */
let capturing = 0;
let restore: (() => void) | undefined;

/**
 * Routes the process's stdout, stderr and console to the sink of the capture the writing code runs in,
 * and anything written outside every capture to where it went before.
 */
function patchOutput(): () => void {
  const out = process.stdout.write.bind(process.stdout);
  const err = process.stderr.write.bind(process.stderr);
  const consoleBefore = CONSOLE_METHODS.map((m) => [m, console[m]] as const);
  const routed =
    (to: typeof out) =>
    (chunk: unknown, ...rest: unknown[]): boolean => {
      const sink = sinks.getStore();
      if (!sink) return (to as (...args: unknown[]) => boolean)(chunk, ...rest);
      sink(chunk);
      return true;
    };
  process.stdout.write = routed(out) as typeof process.stdout.write;
  process.stderr.write = routed(err) as typeof process.stderr.write;
  for (const [m, fn] of consoleBefore) {
    console[m] = (...args: unknown[]) => {
      const sink = sinks.getStore();
      if (sink) sink(format(...args));
      else fn(...args);
    };
  }
  return () => {
    process.stdout.write = out;
    process.stderr.write = err;
    for (const [m, fn] of consoleBefore) console[m] = fn;
  };
}

/**
 * Captures everything written to stdout and stderr while `fn` runs (log lines, dead letters), and
 * anything sent to `console` (a library's own logging), formatted as Node would print it. Captures may
 * run at once (overlapping invocations of the bundles): each gets the output of its own `fn`'s calls.
 */
export async function captureOutput<T>(
  fn: () => Promise<T>,
): Promise<{ result?: T; error?: unknown; lines: string[] }> {
  const lines: string[] = [];
  const grab = (chunk: unknown) => {
    lines.push(...String(chunk).split("\n").filter(Boolean));
  };
  if (capturing++ === 0) restore = patchOutput();
  try {
    return { result: await sinks.run(grab, fn), lines };
  } catch (error) {
    return { error, lines };
  } finally {
    if (--capturing === 0) restore?.();
  }
}

export interface Invocation {
  summary?: Summary;
  error?: Error;
  lines: string[];
  logs: Array<Record<string, unknown>>;
  deadLetters: Array<Record<string, unknown>>;
}

/** Invokes a built bundle as FunctionGraph would, capturing its log lines. */
export async function invoke(name: FunctionName, event: unknown, ctx: ContextOptions): Promise<Invocation> {
  const handler = loadBundle(name);
  const { result, error, lines } = await captureOutput(() => handler(event, fakeContext(ctx)));
  const logs = lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
  return {
    ...(result ? { summary: result } : {}),
    ...(error ? { error: error as Error } : {}),
    lines,
    logs,
    deadLetters: logs.filter((l) => l.dead_letter === true),
  };
}

export const smnEvent = (...messages: string[]) => ({
  record: messages.map((message, i) => ({
    event_version: "1.0",
    event_source: "smn",
    event_subscription_urn: "urn:fss:cn-north-4:proj:function:default:scaling-events",
    smn: {
      topic_urn: "urn:smn:cn-north-4:proj:as-events",
      timestamp: "2026-11-22T01:00:00Z",
      message_attributes: null,
      message,
      type: "notification",
      message_id: `msg-${i}`,
      subject: "AS notification",
    },
  })),
  functionname: "scaling-events",
  requestId: "7c307f6a",
  timestamp: "Sun Nov 22 2026 01:00:00 GMT+0000",
});

export const timerEvent = (userEvent = "") => ({
  version: "v1.0",
  time: "2026-11-22T01:00:00+00:00",
  trigger_type: "TIMER",
  trigger_name: "reconcile-every-10m",
  user_event: userEvent,
});

type InstanceState =
  | "INSERVICE"
  | "PENDING_WAIT"
  | "REMOVING_WAIT"
  | "PENDING"
  | "REMOVING"
  | "STANDBY"
  | "ENTERING_STANDBY";
type InstanceHealth = "NORMAL" | "ERROR" | "INITIALIZING";

export function instance(id: string, state: InstanceState = "INSERVICE", health: InstanceHealth = "NORMAL") {
  return { instance_id: id, instance_name: `web-${id}`, life_cycle_state: state, health_status: health };
}

type GatewayInput = NonNullable<StateInput["gateways"]>[number];
type ChannelInput = NonNullable<GatewayInput["channels"]>[number];

export interface RomaChannelOptions {
  /** Default `chan-1`. */
  id?: string;
  /** Default 8080. */
  port?: number;
  /** Default `ecs`. */
  memberType?: "ecs" | "ip";
  /** Default `web` (ours) and `other` (a foreign group). */
  groups?: string[];
  /**
   * The groups without the ownership remark: foreign or hand-managed. Default `other`; every other
   * group carries MANAGED_REMARK, as the groups the function creates do.
   */
  unmanaged?: string[];
  /** Default none. */
  members?: unknown[];
}

/** The health check the fixtures' bindings carry: TCP, healthy after 2 passes, unhealthy after 3 failures. */
export const HEALTH_CHECK = {
  protocol: "TCP",
  threshold_normal: 2,
  threshold_abnormal: 3,
  time_interval: 10,
  timeout: 5,
};

/** The `member_group_remark` that marks a member group as the function's own (docs/configuration.md, "Bindings from AS group tags"). */
export const MANAGED_REMARK = "managed-by=channel-autoscaler";

/**
 * The one VPC channel fixture: chan-1, round robin on port 8080, ecs members, member groups `web` (ours,
 * with the ownership remark) and `other` (foreign, without it), no members; each test states only what
 * differs.
 */
export function romaChannel(o: RomaChannelOptions = {}): ChannelInput {
  const id = o.id ?? "chan-1";
  return {
    id,
    name: id === "chan-1" ? "web_channel" : id.replaceAll("-", "_"),
    port: o.port ?? 8080,
    balance_strategy: 1,
    member_type: o.memberType ?? "ecs",
    member_groups: (o.groups ?? ["web", "other"]).map((member_group_name) =>
      (o.unmanaged ?? ["other"]).includes(member_group_name)
        ? { member_group_name }
        : { member_group_name, member_group_remark: MANAGED_REMARK },
    ),
    members: (o.members ?? []) as never,
  };
}

/** ROMA Connect instance roma-1 holding these channels. */
export function romaInstance(channels: ChannelInput[]): StateInput["gateways"] {
  return [{ instance_id: "roma-1", kind: "roma", channels }];
}

export interface ApigChannelOptions {
  /** Default `web`, without the ownership remark. */
  groups?: string[];
  /** The channel's health check; default none. */
  healthConfig?: ChannelInput["vpc_health_config"];
  /** Default none. */
  members?: unknown[];
}

/**
 * The dedicated-gateway channel fixture: chan-a ("api_channel", port 443, ecs members), member group
 * `web`, no health check and no members unless given; each test states only what differs.
 */
export function apigChannel(o: ApigChannelOptions = {}): ChannelInput {
  return {
    id: "chan-a",
    name: "api_channel",
    port: 443,
    member_type: "ecs",
    member_groups: (o.groups ?? ["web"]).map((member_group_name) => ({ member_group_name })),
    ...(o.healthConfig ? { vpc_health_config: o.healthConfig } : {}),
    members: (o.members ?? []) as never,
  };
}

/** Dedicated API Gateway instance apig-1 holding these channels. */
export function apigInstance(channels: ChannelInput[]): StateInput["gateways"] {
  return [{ instance_id: "apig-1", kind: "apig", channels }];
}

/** The gateways of most fixtures: roma-1 with the one channel chan-1, holding these members. */
export function romaGateway(members: unknown[], groups: string[] = ["web", "other"]): StateInput["gateways"] {
  return romaInstance([romaChannel({ members, groups })]);
}

/** A ROMA gateway with one ecs channel holding `other` (a foreign member group) and our `web` group. */
export function baseState(
  over: Partial<{ members: unknown[]; instances: unknown[]; instances2: unknown[] }> = {},
): StateInput {
  return {
    gateways: romaGateway(
      over.members ?? [{ ecs_id: "foreign-1", ecs_name: "foreign-1", member_group_name: "other", weight: 3 }],
    ),
    scaling_groups: [
      { scaling_group_id: "asg-1", scaling_group_name: "web", instances: (over.instances ?? []) as never },
      { scaling_group_id: "asg-2", scaling_group_name: "batch", instances: (over.instances2 ?? []) as never },
    ],
  } as StateInput;
}

export const webBinding: Binding = {
  scaling_group_id: "asg-1",
  instance_id: "roma-1",
  vpc_channel_id: "chan-1",
  member_group_name: "web",
  drain_seconds: 0,
};

export function members(emu: Emulator, gateway = "roma-1", channel = "chan-1") {
  const gw = emu.control.state().gateways.find((g) => g.instance_id === gateway);
  return gw?.channels.find((c) => c.id === channel)?.members ?? [];
}

/** Write calls: everything but GET and the tag query (a POST that only reads). */
export const writes = (emu: Emulator) =>
  emu.control.calls().filter((c) => c.method !== "GET" && !c.path.endsWith("/resource_instances/action"));

export type { Emulator };
export { startEmulator };
