import { CallLog } from "./calllog";
import { FaultStore } from "./faults";
import { Clock } from "./ids";
import type { MemberHealth } from "./model";
import { emptyWorld, type World } from "./state";
import type { CallLogEntry, Credential, CurrentOptions, EmulatorOptions, OptionsUpdate } from "./types";
import { unknownKeysProblem } from "./validators";

export interface RuntimeOptions {
  projectId: string;
  credentials: Credential[];
  memberQuota: number;
  latencyMs: number;
  defaultMemberHealth: MemberHealth;
  /** Caps every page (members and AS instances) below the API's own maximum; undefined: no extra cap. */
  pageSizeCap: number | undefined;
}

/** Everything one emulator instance holds. `world` is replaced wholesale by load and reset. */
export interface EmulatorContext {
  world: World;
  options: RuntimeOptions;
  faults: FaultStore;
  log: CallLog;
  clock: Clock;
  /** Channels with a write in progress, keyed "instance/channel". */
  busyChannels: Set<string>;
  /** Per channel key: releases of `holdUntilOverlap` writes, called when a write there is refused. */
  overlapWaiters: Map<string, Array<() => void>>;
  /** One-shot actions run after a matching API call's handler, before its answer is sent. */
  afterCalls: AfterCall[];
}

export interface AfterCall {
  method: string;
  pathRe: RegExp;
  run: (call: CallLogEntry) => unknown;
}

export class OptionsError extends Error {
  override name = "OptionsError";
}

const HEALTH: readonly string[] = ["healthy", "unhealthy", "unknown"];

export function createContext(opts: EmulatorOptions): EmulatorContext {
  const options: RuntimeOptions = {
    projectId: opts.projectId ?? "proj-emulator",
    credentials: opts.credentials ?? [{ ak: "EMULATORAK", sk: "EMULATORSK" }],
    memberQuota: 10,
    latencyMs: 0,
    defaultMemberHealth: "healthy",
    pageSizeCap: undefined,
  };
  if (options.credentials.length === 0)
    throw new OptionsError("credentials must list at least one access key");
  const { memberQuota, latencyMs, defaultMemberHealth, pageSizeCap } = opts;
  applyOptions(options, { memberQuota, latencyMs, defaultMemberHealth, pageSizeCap });
  return {
    world: emptyWorld(),
    options,
    faults: new FaultStore(),
    log: new CallLog(),
    clock: new Clock(opts.now),
    busyChannels: new Set(),
    overlapWaiters: new Map(),
    afterCalls: [],
  };
}

/** The options that can be changed while the emulator runs (and read back: `GET /_emulator/options`). */
export const SETTABLE_OPTIONS = ["memberQuota", "latencyMs", "defaultMemberHealth", "pageSizeCap"] as const;

/** The runtime-changeable options as they are now; `pageSizeCap` null when there is none. */
export function currentOptions(options: RuntimeOptions): CurrentOptions {
  return {
    memberQuota: options.memberQuota,
    latencyMs: options.latencyMs,
    defaultMemberHealth: options.defaultMemberHealth,
    pageSizeCap: options.pageSizeCap ?? null,
  };
}

/**
 * Validates and applies the runtime-changeable options. Throws on a bad value or an unknown key,
 * changing nothing.
 */
export function applyOptions(options: RuntimeOptions, update: OptionsUpdate): void {
  const problem = unknownKeysProblem(update as Record<string, unknown>, SETTABLE_OPTIONS, "option");
  if (problem) throw new OptionsError(problem);
  const { memberQuota, latencyMs, defaultMemberHealth, pageSizeCap } = update;
  if (pageSizeCap !== undefined && !(Number.isInteger(pageSizeCap) && pageSizeCap >= 1)) {
    throw new OptionsError("pageSizeCap must be an integer >= 1");
  }
  if (memberQuota !== undefined && !(Number.isInteger(memberQuota) && memberQuota >= 0)) {
    throw new OptionsError("memberQuota must be an integer >= 0");
  }
  if (latencyMs !== undefined && !(Number.isFinite(latencyMs) && latencyMs >= 0)) {
    throw new OptionsError("latencyMs must be a number >= 0");
  }
  if (defaultMemberHealth !== undefined && !HEALTH.includes(defaultMemberHealth)) {
    throw new OptionsError(`defaultMemberHealth must be one of ${HEALTH.join(", ")}`);
  }
  if (memberQuota !== undefined) options.memberQuota = memberQuota;
  if (latencyMs !== undefined) options.latencyMs = latencyMs;
  if (defaultMemberHealth !== undefined) options.defaultMemberHealth = defaultMemberHealth;
  if (pageSizeCap !== undefined) options.pageSizeCap = pageSizeCap;
}
