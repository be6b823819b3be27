/**
 * Every kind of fault the emulator can inject, on the operations the product calls: server errors,
 * 429 with Retry-After, the gateway's throttling codes, timeouts (a call that never answers), delays,
 * the member quota (APIG.3110), reset connections, garbled answers, writes whose answer is lost,
 * overlapping writes to one channel, answers past the size cap, listings that never end, and a proxy
 * refusing with an echo of the request. A round arms a few, each on an operation of its own, so the call
 * log says which kind each faulted call met.
 */
import type { CallLogEntry, Fault } from "../emulator";
import { type Operation, operationOf, routeOf } from "../faults/operations";
import type { Random } from "./random";

export type FaultKind =
  | "5xx"
  | "429"
  | "throttle"
  | "timeout"
  | "delay"
  | "quota"
  | "reset"
  | "malformed"
  | "lost-answer"
  | "overlap"
  | "too-large"
  | "endless-paging"
  | "auth-echo";

const WRITES: readonly Operation[] = [
  "add members",
  "enable",
  "disable",
  "delete",
  "member-groups",
  "health-config",
  "callback",
  "standby",
  "ecs tags",
  "smn publish",
];
const GATEWAY_WRITES: readonly Operation[] = ["add members", "enable", "disable", "delete", "member-groups"];
const ANY: readonly Operation[] = [
  ...WRITES,
  "list members",
  "show channel",
  "list instances",
  "list hooks",
  "ecs servers",
];

/** Each kind, how often a round picks it, and the operations it can hit. */
const MENU: readonly (readonly [FaultKind, number, readonly Operation[]])[] = [
  ["5xx", 5, ANY],
  ["429", 3, ANY],
  ["throttle", 2, ANY],
  ["timeout", 2, ANY],
  ["delay", 2, ANY],
  ["quota", 1, ["add members"]],
  ["reset", 3, ANY],
  ["malformed", 2, ANY],
  ["lost-answer", 3, WRITES],
  ["overlap", 1, GATEWAY_WRITES],
  ["too-large", 1, ["list members"]],
  ["endless-paging", 1, ["list members", "list instances"]],
  ["auth-echo", 1, ANY],
];

/** The calls the soak's rounds make most: a fault on them is sure to be met. */
const LIKELY: readonly Operation[] = [
  "list members",
  "list instances",
  "list hooks",
  "ecs servers",
  "show channel",
];

export interface ArmedFault {
  kind: FaultKind;
  op: Operation;
  fault: Fault;
}

function faultOf(kind: FaultKind, op: Operation, times: number, random: Random): Fault {
  const where = { ...routeOf(op), times };
  const as = op === "callback" || op === "standby" || op === "list instances" || op === "list hooks";
  switch (kind) {
    case "5xx":
      return random.pick<Fault>([
        { ...where, status: 500, body: { error_code: "APIG.9999", error_msg: "System error" } },
        { ...where, status: 502, body: "Bad Gateway" },
        { ...where, status: 503, body: "Service Unavailable" },
      ]);
    case "429":
      return { ...where, status: 429, headers: { "Retry-After": random.pick(["0", "1"]) } };
    case "throttle":
      return as
        ? { ...where, status: 400, body: { error: { code: "AS.0001", message: "Too many requests" } } }
        : {
            ...where,
            status: 429,
            body: random.pick([
              { error_code: "APIG.0308", error_msg: "The throttling threshold has been reached" },
              { error_code: "APIG.9008", error_msg: "Too many requests" },
            ]),
          };
    case "timeout":
      return { ...where, hang: true };
    case "delay":
      return { ...where, delayMs: random.int(20, 200) };
    case "quota":
      return {
        ...where,
        status: 403,
        body: {
          error_code: "APIG.3110",
          error_msg: "The number of cloud servers in the VPC channel exceeds the maximum allowed limit",
        },
      };
    case "reset":
      return { ...where, reset: true };
    case "malformed":
      return { ...where, malformed: true };
    case "lost-answer":
      return random.chance(0.5)
        ? { ...where, afterApply: true, status: 504 }
        : { ...where, afterApply: true, reset: true };
    case "overlap":
      return { ...where, holdUntilOverlap: true };
    case "too-large":
      return { ...where, hugeBody: 5 * 1024 * 1024 };
    case "endless-paging":
      return { ...where, endlessPaging: true };
    case "auth-echo":
      return { ...where, echoHeaders: true };
  }
}

/** A round's faults: none to three, each on an operation of its own. */
export function faultsForRound(random: Random): ArmedFault[] {
  const count = random.weighted([
    [0, 4],
    [1, 4],
    [2, 2],
    [3, 1],
  ] as const);
  const out: ArmedFault[] = [];
  for (let k = 0; k < count; k++) {
    const kind = random.weighted(MENU.map(([name, weight]) => [name, weight] as const));
    const ops = MENU.find(([name]) => name === kind)![2].filter((op) => !out.some((f) => f.op === op));
    if (ops.length === 0) continue;
    const op = random.chance(0.4)
      ? (ops.find((o) => LIKELY.includes(o) && random.chance(0.5)) ?? random.pick(ops))
      : random.pick(ops);
    // Mostly faults a retry gets past; sometimes one that lasts the round (dead-lettered, repaired later).
    // A timeout costs REQUEST_TIMEOUT_MS a try, a huge answer megabytes: those stay short.
    const costly = kind === "timeout" || kind === "too-large" || kind === "overlap";
    // An endless listing lasts the round: cut short, its one made-up page followed by the real pages
    // would add up to a consistent listing with a made-up item, a lie no reader can tell from the truth.
    const times =
      kind === "endless-paging"
        ? 0
        : random.weighted([
            [1, 6],
            [2, 3],
            [costly ? 1 : 0, costly ? 1 : 2],
          ] as const);
    out.push({ kind, op, fault: faultOf(kind, op, times, random) });
  }
  return out;
}

/** The faulted calls of a round, counted by the kind of fault they met. */
export function faultsHit(
  calls: readonly CallLogEntry[],
  armed: readonly ArmedFault[],
): Map<FaultKind, number> {
  const hits = new Map<FaultKind, number>();
  for (const c of calls) {
    if (!c.fault) continue;
    const op = operationOf(c);
    const f = armed.find((a) => a.op === op);
    if (f) hits.set(f.kind, (hits.get(f.kind) ?? 0) + 1);
  }
  return hits;
}
