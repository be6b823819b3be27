/**
 * Fault matrix: every cloud operation the function performs × every fault a cloud API can produce,
 * driven through the built scaling-events bundle against the emulator. Each cell asserts the outcome
 * (converged after retries, or exactly one dead letter with the right code, or, for SMN, a logged
 * publish failure), that no member of a desired instance was lost and no foreign member touched, and
 * that replaying the dead letter's backfill payload converges with a second run making no write.
 *
 * FAULT_MATRIX_REPORT=<file> writes the observed outcomes as a markdown table.
 */
import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Fault } from "../emulator";
import { spawnBundle, until } from "../support/bundle-process";
import {
  type Emulator,
  envFor,
  HEALTH_CHECK,
  type Invocation,
  invoke,
  smnEvent,
  startEmulator,
  timerEvent,
  webBinding,
  writes,
} from "../support/harness";
import {
  DEAD_LETTER_TOPIC,
  expectDeadLetterShape,
  FOREIGN_MEMBERS,
  foreignMembers,
  groupMembers,
  hanging,
  instancesOf,
  richBinding,
  richState,
  sortMembers,
  stackLines,
  topicMessages,
  trapped,
} from "./support";

type Family = "gateway" | "as" | "smn";

interface Op {
  name: string;
  method: string;
  /** Regex source matched against the request path. */
  path: string;
  family: Family;
  /** The dead-letter action a failure of this operation yields. */
  action: string;
  instanceIds: string[];
  /** Calls of this operation a converging run makes besides the faulted one and its retry. */
  alsoCalled?: number;
}

const OPS: Op[] = [
  {
    name: "list instances",
    method: "GET",
    path: "/scaling_group_instance/asg-1/list$",
    family: "as",
    action: "read_instances",
    instanceIds: [],
  },
  {
    name: "list members",
    method: "GET",
    path: "/vpc-channels/chan-1/members$",
    family: "gateway",
    action: "read_members",
    instanceIds: [],
    // The listing after the drain: the run deletes gone-1 on a fresh read.
    alsoCalled: 1,
  },
  {
    name: "add members",
    method: "POST",
    path: "/vpc-channels/chan-1/members$",
    family: "gateway",
    action: "add_members",
    instanceIds: ["i-2", "i-3"],
  },
  {
    name: "disable",
    method: "POST",
    path: "/vpc-channels/chan-1/members/batch-disable$",
    family: "gateway",
    action: "disable_members",
    instanceIds: ["gone-1"],
  },
  {
    name: "delete",
    method: "DELETE",
    path: "/vpc-channels/chan-1/members/[0-9a-f]+$",
    family: "gateway",
    action: "delete_members",
    instanceIds: ["gone-1"],
  },
  {
    name: "callback",
    method: "PUT",
    path: "/scaling_instance_hook/asg-1/callback$",
    family: "as",
    action: "complete_hook",
    instanceIds: ["i-3"],
  },
  {
    name: "PUT health-config",
    method: "PUT",
    path: "/vpc-channels/chan-1/health-config$",
    family: "gateway",
    action: "update_channel",
    instanceIds: [],
  },
  {
    name: "SMN publish",
    method: "POST",
    path: "/notifications/topics/[^/]+/publish$",
    family: "smn",
    action: "parse_event",
    instanceIds: [],
  },
];

type Kind = "transient" | "permanent" | "exhausted";

interface FaultCase {
  name: string;
  kind: Kind;
  fault: (op: Op) => Fault;
  /** The call was applied and only its answer lost: the retry may find the work done. */
  applied?: boolean;
  /** Expected error status and code in the dead letter (permanent and exhausted faults). */
  status?: number;
  code?: (op: Op) => string;
}

const RETRY_MAX_ATTEMPTS = 3;
const REQUEST_TIMEOUT_MS = 250;
/** Operations whose 429 carries `Retry-After: 1` (seconds) or an HTTP date; the others say 0. */
const RETRY_AFTER_SECONDS = new Set(["list members", "add members", "SMN publish"]);
const RETRY_AFTER_DATE = new Set(["callback"]);

const systemError = { error_code: "APIG.9999", error_msg: "System error" };
const byFamily = <T>(op: Op, v: Record<Family, T>): T => v[op.family];

const FAULTS: FaultCase[] = [
  {
    name: "429 with Retry-After",
    kind: "transient",
    fault: (op) => ({
      status: 429,
      headers: {
        "Retry-After": RETRY_AFTER_SECONDS.has(op.name)
          ? "1"
          : RETRY_AFTER_DATE.has(op.name)
            ? new Date(Date.now() + 1500).toUTCString()
            : "0",
      },
    }),
  },
  { name: "500 APIG.9999", kind: "transient", fault: () => ({ status: 500, body: systemError }) },
  {
    name: "503",
    kind: "transient",
    fault: () => ({ status: 503, body: "<html><body>503 Service Temporarily Unavailable</body></html>" }),
  },
  { name: "connection reset", kind: "transient", fault: () => ({ reset: true }) },
  {
    name: "504 after applying",
    kind: "transient",
    applied: true,
    fault: () => ({ afterApply: true, status: 504, body: "<html><body>504 Gateway Time-out</body></html>" }),
  },
  {
    name: "reset after applying",
    kind: "transient",
    applied: true,
    fault: () => ({ afterApply: true, reset: true }),
  },
  { name: "hang past the request timeout", kind: "transient", fault: () => ({ hang: true }) },
  { name: "malformed JSON body", kind: "transient", fault: () => ({ malformed: true }) },
  {
    name: "401",
    kind: "permanent",
    status: 401,
    fault: (op) => ({
      status: 401,
      body: byFamily<unknown>(op, {
        gateway: { error_code: "APIG.1002", error_msg: "Incorrect token or token resolution failed" },
        as: { error: { code: "AS.0006", message: "Authentication failed" } },
        smn: { error_code: "APIG.1002", error_msg: "Incorrect token or token resolution failed" },
      }),
    }),
    code: (op) => byFamily(op, { gateway: "APIG.1002", as: "AS.0006", smn: "APIG.1002" }),
  },
  {
    name: "404",
    kind: "permanent",
    status: 404,
    fault: (op) => ({
      status: 404,
      body: byFamily<unknown>(op, {
        gateway: { error_code: "APIG.3023", error_msg: "The VPC channel does not exist,id:chan-1" },
        as: { error: { code: "AS.2007", message: "The AS group does not exist." } },
        smn: { error_code: "SMN.0011", error_msg: "Topic not found" },
      }),
    }),
    code: (op) => byFamily(op, { gateway: "APIG.3023", as: "AS.2007", smn: "SMN.0011" }),
  },
  {
    name: "403 quota APIG.3110",
    kind: "permanent",
    status: 403,
    fault: () => ({
      status: 403,
      body: {
        error_code: "APIG.3110",
        error_msg: "The number of cloud servers in the VPC channel exceeds the maximum allowed limit",
      },
    }),
    code: () => "APIG.3110",
  },
  {
    name: "400 validation",
    kind: "permanent",
    status: 400,
    fault: (op) => ({
      status: 400,
      body: byFamily<unknown>(op, {
        gateway: {
          error_code: "APIG.2004",
          error_msg: "The parameter value is outside the allowable range,parameterName:weight",
        },
        as: { error: { code: "AS.4001", message: "The request parameter is invalid." } },
        smn: { error_code: "SMN.0004", error_msg: "Invalid parameter: message" },
      }),
    }),
    code: (op) => byFamily(op, { gateway: "APIG.2004", as: "AS.4001", smn: "SMN.0004" }),
  },
  {
    name: "500 APIG.9999 on every attempt",
    kind: "exhausted",
    status: 500,
    fault: () => ({ status: 500, body: systemError }),
    code: () => "APIG.9999",
  },
];

let emu: Emulator;
const observed = new Map<string, string>();

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
  const report = process.env.FAULT_MATRIX_REPORT;
  if (report) {
    const lines = [
      `| operation | ${FAULTS.map((f) => f.name).join(" | ")} |`,
      `|---|${FAULTS.map(() => "---").join("|")}|`,
      ...OPS.map(
        (op) =>
          `| ${op.name} | ${FAULTS.map((f) => observed.get(`${op.name}|${f.name}`) ?? "?").join(" | ")} |`,
      ),
    ];
    writeFileSync(report, `${lines.join("\n")}\n`);
  }
});
beforeEach(() => {
  emu.control.reset();
  emu.control.load(richState());
});

const env = () =>
  envFor(emu, [richBinding], {
    DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC,
    RETRY_MAX_ATTEMPTS: String(RETRY_MAX_ATTEMPTS),
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
  });

/** The SMN event of the run: names asg-1; the SMN row adds a record that cannot be read. */
function eventFor(op: Op) {
  const event = smnEvent(JSON.stringify({ scaling_group_id: "asg-1", instance_id: "i-2" }));
  if (op.family === "smn") {
    (event.record as unknown[]).push({ event_source: "smn", smn: { message: 42, message_id: "msg-bad" } });
  }
  return event;
}

const callsOf = (op: Op) =>
  emu.control.calls().filter((c) => c.method === op.method && new RegExp(op.path).test(c.path));

/** The desired end state: web = {i-1, i-2, i-3}, enabled; stray gone; hook done; health check set. */
function expectConverged(foreignBefore: unknown) {
  const web = groupMembers(emu, "web");
  expect(web.map((m) => [m.ecs_id, m.ecs_name, m.status, m.weight]).sort()).toEqual([
    ["i-1", "web-i-1", 1, 1],
    ["i-2", "web-i-2", 1, 1],
    ["i-3", "web-i-3", 1, 1],
  ]);
  expect(sortMembers(foreignMembers(emu))).toEqual(foreignBefore);
  const chan = emu.control.state().gateways[0]!.channels[0]!;
  expect(chan.vpc_health_config).toMatchObject(HEALTH_CHECK);
  expect(chan.member_groups.map((g) => g.member_group_name).sort()).toEqual(["other", "web"]);
  expect(hanging(emu)).toEqual([]);
  expect(instancesOf(emu).find((i) => i.instance_id === "i-3")?.life_cycle_state).toBe("INSERVICE");
  expect(trapped(emu)).toEqual([]);
}

/** Whatever failed, nothing the function must keep was lost and nothing foreign was touched. */
function expectNothingLost(foreignBefore: unknown, i1Before: unknown) {
  expect(sortMembers(foreignMembers(emu))).toEqual(foreignBefore);
  const web = groupMembers(emu, "web");
  expect(web.find((m) => m.ecs_id === "i-1")).toEqual(i1Before);
  // Only desired instances and the stray we started with; every desired member still serves.
  for (const m of web) {
    expect(["i-1", "i-2", "i-3", "gone-1"]).toContain(m.ecs_id);
    if (m.ecs_id !== "gone-1") expect(m.status).toBe(1);
  }
  expect(new Set(web.map((m) => m.ecs_id)).size).toBe(web.length);
  expect(trapped(emu)).toEqual([]);
}

async function replayAndSettle(payload: unknown, foreignBefore: unknown) {
  emu.control.clearFaults();
  const replay = await invoke("backfill", payload, { env: env() });
  expect(replay.error).toBeUndefined();
  expect(replay.deadLetters).toEqual([]);
  expectConverged(foreignBefore);
  emu.control.clearCalls();
  const again = await invoke("reconcile", timerEvent(), { env: env() });
  expect(again.error).toBeUndefined();
  expect(writes(emu)).toEqual([]);
}

function describeOutcome(inv: Invocation, op: Op, kind: Kind): string {
  const throws = inv.error ? ", invocation throws" : "";
  if (op.family === "smn") {
    const failed = inv.logs.find((l) => l.action === "publish_dead_letter");
    if (!failed) return `published after ${callsOf(op).length} attempts${throws}`;
    const code = (failed.error as { code?: string }).code;
    return `publish failure logged (${code}, ${callsOf(op).length} attempt${callsOf(op).length > 1 ? "s" : ""})${throws}`;
  }
  const dl = inv.deadLetters.filter((d) => d.action === op.action);
  if (kind === "transient" || dl.length === 0)
    return `converged after ${callsOf(op).length} attempts${throws}`;
  const e = dl[0]!.error as { status: number; code: string };
  return `dead-lettered ${op.action} ${e.status} ${e.code} (${dl[0]!.attempts} attempt${Number(dl[0]!.attempts) > 1 ? "s" : ""})${throws}`;
}

describe.each(OPS)("$name", (op) => {
  it.each(FAULTS)("$name", async (fc) => {
    const foreignBefore = sortMembers(foreignMembers(emu));
    const i1Before = groupMembers(emu, "web").find((m) => m.ecs_id === "i-1");
    emu.control.addFault({
      method: op.method,
      path: op.path,
      times: fc.kind === "transient" ? 1 : 0,
      ...fc.fault(op),
    });

    const started = Date.now();
    const inv = await invoke("scaling-events", eventFor(op), { env: env() });
    const elapsed = Date.now() - started;
    observed.set(`${op.name}|${fc.name}`, describeOutcome(inv, op, fc.kind));

    expect(stackLines(inv)).toEqual([]);
    for (const d of inv.deadLetters) expect(expectDeadLetterShape(d)).toEqual([]);
    const calls = callsOf(op);
    expect(calls.length).toBeGreaterThan(0);
    expect(calls[0]!.fault).toBe(true);

    if (op.family === "smn") {
      // The run itself converges; what is at stake is the copy of the parse_event dead letter.
      expect(inv.error).toBeUndefined();
      expectConverged(foreignBefore);
      expect(inv.deadLetters.map((d) => d.action)).toEqual(["parse_event"]);
      const record = inv.deadLetters[0]!;
      const failures = inv.logs.filter((l) => l.action === "publish_dead_letter");
      if (fc.kind === "transient") {
        expect(failures).toEqual([]);
        // SMN has no idempotency key: a publish whose answer was lost is published again (at least once).
        expect(topicMessages(emu).map((m) => JSON.parse(m.message))).toEqual(
          fc.applied ? [record, record] : [record],
        );
        expect(topicMessages(emu)[0]!.subject).toBe("channel-autoscaler dead letter");
      } else {
        expect(topicMessages(emu)).toEqual([]);
        expect(failures).toHaveLength(1);
        expect(failures[0]).toMatchObject({
          level: "error",
          dead_letter_action: "parse_event",
          error: { code: fc.code!(op) },
        });
        expect(calls).toHaveLength(fc.kind === "permanent" ? 1 : RETRY_MAX_ATTEMPTS);
      }
      return;
    }

    if (fc.kind === "transient") {
      expect(inv.error).toBeUndefined();
      expect(inv.deadLetters).toEqual([]);
      expect(inv.summary?.dead_lettered).toBe(0);
      expect(calls.length).toBe(2 + (op.alsoCalled ?? 0));
      expect(calls[1]!.fault).toBe(false);
      // Retrying a write that was applied finds it done: the member already gone, the hook no longer
      // waiting; both count as done.
      const doneAlready = { delete: 404, callback: 400 } as Record<string, number>;
      if (fc.applied && doneAlready[op.name] !== undefined) {
        expect(calls[1]!.status).toBe(doneAlready[op.name]);
      } else {
        expect(calls[1]!.status).toBeGreaterThanOrEqual(200);
        expect(calls[1]!.status).toBeLessThan(300);
      }
      const gap = Date.parse(calls[1]!.time) - Date.parse(calls[0]!.time);
      if (fc.name.startsWith("429") && RETRY_AFTER_SECONDS.has(op.name))
        expect(gap).toBeGreaterThanOrEqual(990);
      if (fc.name.startsWith("429") && RETRY_AFTER_DATE.has(op.name)) expect(gap).toBeGreaterThanOrEqual(400);
      // A hang is retried only once the client has given up on it (its request timeout), never beside
      // it. Ordered by the emulator's own clock, so a busy machine that delays the first request's
      // arrival (and so shortens the gap between arrivals) cannot fail it.
      if (fc.name.startsWith("hang")) {
        expect(calls[0]!.closed).toBeDefined();
        expect(Date.parse(calls[1]!.time)).toBeGreaterThanOrEqual(Date.parse(calls[0]!.closed!));
      }
      expectConverged(foreignBefore);
      emu.control.clearCalls();
      const again = await invoke("reconcile", timerEvent(), { env: env() });
      expect(writes(emu)).toEqual([]);
      expect(again.summary?.dead_lettered).toBe(0);
      return;
    }

    // Permanent or exhausted: exactly one dead letter, for this operation, with the right error.
    expect(inv.deadLetters).toHaveLength(1);
    const record = inv.deadLetters[0]!;
    expect(record).toMatchObject({
      action: op.action,
      binding: {
        scaling_group_id: "asg-1",
        instance_id: "roma-1",
        vpc_channel_id: "chan-1",
        member_group_name: "web",
      },
      error: { status: fc.status, code: fc.code!(op) },
      attempts: fc.kind === "permanent" ? 1 : RETRY_MAX_ATTEMPTS,
      replay: { scaling_group_ids: ["asg-1"] },
    });
    expect([...(record.instance_ids as string[])].sort()).toEqual(op.instanceIds);
    // Permanent failures are never retried; transient ones until the attempts run out. The one
    // exception: an add refused for the member quota is tried once more after the run's removals.
    const quotaRetry = op.action === "add_members" && fc.name.includes("APIG.3110") ? 2 : 1;
    expect(calls).toHaveLength(fc.kind === "permanent" ? quotaRetry : RETRY_MAX_ATTEMPTS);
    // The same record went to the dead-letter topic.
    expect(topicMessages(emu).map((m) => JSON.parse(m.message))).toEqual([record]);
    // The only binding failed: for a transient reason the platform's retry takes over, else it resolves.
    if (fc.kind === "exhausted") {
      expect(inv.error?.name).toBe("TransientFailureError");
    } else {
      expect(inv.error).toBeUndefined();
      expect(inv.summary?.dead_lettered).toBe(1);
    }
    expect(elapsed).toBeLessThan(5_000);
    expectNothingLost(foreignBefore, i1Before);

    await replayAndSettle(record.replay, foreignBefore);
  });
});

/**
 * Faults between invocations: two invocations whose writes to one channel overlap, and a process
 * killed at any point of a run (before or after a write is applied, or during the drain). Each ends
 * converged after the next run, with nothing lost and the drain kept.
 */
describe("faults between invocations", () => {
  const DRAIN_SECONDS = 1;
  const drainEnv = (drainSeconds: number) =>
    envFor(emu, [{ ...richBinding, drain_seconds: drainSeconds }], {
      DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC,
      REQUEST_TIMEOUT_MS: "5000",
      RETRY_MAX_ATTEMPTS: "8",
    });
  const hookEvent = () => smnEvent(JSON.stringify({ scaling_group_id: "asg-1", instance_id: "i-3" }));

  it("two invocations write to one channel at once: the later write is refused with APIG.9999, retried, and both converge", async () => {
    const foreignBefore = sortMembers(foreignMembers(emu));
    const env = drainEnv(0);
    // The first invocation's add keeps chan-1 busy until another write there has been refused.
    emu.control.addFault({ method: "POST", path: "/vpc-channels/chan-1/members$", holdUntilOverlap: true });
    const first = spawnBundle("scaling-events", hookEvent(), { env });
    await until(() => emu.control.calls().some((c) => c.fault));
    const second = await invoke("reconcile", timerEvent(), { env });
    const firstDone = await first.exited;

    const refused = emu.control
      .calls()
      .filter(
        (c) => c.method !== "GET" && c.status === 500 && !c.fault && c.path.includes("/vpc-channels/chan-1"),
      );
    expect(refused.length).toBeGreaterThan(0);
    expect(second.error).toBeUndefined();
    expect(second.deadLetters).toEqual([]);
    expect(firstDone.error).toBeUndefined();
    expect(firstDone.summary?.dead_lettered).toBe(0);
    expect(firstDone.logs.filter((l) => l.dead_letter === true)).toEqual([]);
    expectConverged(foreignBefore);
    emu.control.clearCalls();
    await invoke("reconcile", timerEvent(), { env });
    expect(writes(emu)).toEqual([]);
  });

  interface KillPoint {
    name: string;
    /** The call the process is stuck in when it is killed (none: killed during the drain). */
    fault?: Fault;
  }
  const write = (method: string, path: string): KillPoint[] => [
    { name: `${method} ${path}, before it applies`, fault: { method, path, hang: true } },
    {
      name: `${method} ${path}, applied, answer not yet back`,
      fault: { method, path, afterApply: true, hang: true },
    },
  ];
  const KILL_POINTS: KillPoint[] = [
    { name: "reading members", fault: { method: "GET", path: "/vpc-channels/chan-1/members$", hang: true } },
    ...write("PUT", "/vpc-channels/chan-1/health-config$"),
    ...write("POST", "/vpc-channels/chan-1/members$"),
    ...write("POST", "/members/batch-disable$"),
    { name: "during the drain" },
    ...write("DELETE", "/members/[0-9a-f]+$"),
    ...write("PUT", "/scaling_instance_hook/asg-1/callback$"),
  ];

  it.each(KILL_POINTS)(
    "killed $name: the next run converges, nothing lost, the drain kept",
    async (point) => {
      const foreignBefore = sortMembers(foreignMembers(emu));
      const i1Before = groupMembers(emu, "web").find((m) => m.ecs_id === "i-1");
      // Killed during the drain: a long drain, so the kill surely lands in it.
      const killedDrain = point.fault ? DRAIN_SECONDS : 60;
      if (point.fault) emu.control.addFault(point.fault);
      const child = spawnBundle("scaling-events", hookEvent(), {
        env: drainEnv(killedDrain),
        remainingMs: 300_000,
      });
      await until(() =>
        point.fault
          ? emu.control
              .calls()
              .some((c) => c.fault && (!point.fault!.afterApply || c.appliedStatus !== undefined))
          : child.output().includes('"msg":"draining disabled members"'),
      );
      child.process.kill("SIGKILL");
      const killed = await child.exited;
      expect(killed.signal).toBe("SIGKILL");
      expect(killed.summary).toBeUndefined();
      if (!point.fault) {
        // It was in the drain wait: started it, deleted nothing.
        expect(killed.logs.filter((l) => l.action === "drain").map((l) => l.msg)).toEqual([
          "draining disabled members",
        ]);
        expect(emu.control.calls().filter((c) => c.method === "DELETE")).toEqual([]);
      }
      expectNothingLost(foreignBefore, i1Before);

      // The next run: whatever the killed one left half done is finished, and a member disabled before
      // it started is drained in full again (nothing shows how long it has been disabled).
      emu.control.clearFaults();
      emu.control.clearCalls();
      const disabledBefore = groupMembers(emu, "web").some((m) => m.ecs_id === "gone-1" && m.status === 2);
      const started = Date.now();
      const next = await invoke("reconcile", timerEvent(), { env: drainEnv(DRAIN_SECONDS) });
      expect(next.error).toBeUndefined();
      expect(next.deadLetters).toEqual([]);
      expectConverged(foreignBefore);
      const deleted = emu.control.calls().find((c) => c.method === "DELETE");
      if (disabledBefore) {
        // (a timer may fire a millisecond early against Date.now())
        expect(Date.parse(deleted!.time) - started).toBeGreaterThanOrEqual(DRAIN_SECONDS * 1000 - 5);
      }
      emu.control.clearCalls();
      await invoke("reconcile", timerEvent(), { env: drainEnv(DRAIN_SECONDS) });
      expect(writes(emu)).toEqual([]);
    },
  );
});

/**
 * A slow-start raise refused mid-ramp: the member keeps the weight it had (never lowered, still
 * serving), what could not be written is dead-lettered, and the next run (or the dead letter's replay)
 * raises it to the step of its own time: nothing is lost, since the ramp remembers nothing.
 */
describe("slow start: a raise refused mid-ramp", () => {
  const rampBinding = { ...webBinding, weight: 100, slow_start_seconds: 3600 };
  const rampEnv = () =>
    envFor(emu, [rampBinding], {
      DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC,
      RETRY_MAX_ATTEMPTS: String(RETRY_MAX_ATTEMPTS),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    });
  // 1000 s into a 3600 s window: the second step (720–1440 s), weight 10 + ⌊90 · 1/5⌋ = 28.
  const created = () => new Date(Date.now() - 1_000_000).toISOString();
  const ramped = (id: string) => ({
    ecs_id: id,
    ecs_name: `web-${id}`,
    member_group_name: "web",
    weight: 10,
  });

  beforeEach(() => {
    const state = richState();
    const channel = state.gateways![0]!.channels![0]!;
    channel.members = [
      ...FOREIGN_MEMBERS,
      ...["i-1", "i-2"].map((id) => ({ ...ramped(id), create_time: created() })),
    ];
    const group = state.scaling_groups![0]!;
    group.instances = ["i-1", "i-2", "i-3"].map((id) => ({
      instance_id: id,
      instance_name: `web-${id}`,
      life_cycle_state: "INSERVICE" as const,
      health_status: "NORMAL" as const,
    }));
    group.hanging = [];
    emu.control.reset();
    emu.control.load(state);
  });

  const web = () =>
    groupMembers(emu, "web")
      .map((m) => `${m.ecs_id}:${m.weight}:${m.status}`)
      .sort();
  const CONVERGED = ["i-1:28:1", "i-2:28:1", "i-3:10:1"];
  const BEFORE = ["i-1:10:1", "i-2:10:1"];
  const POST_MEMBERS = { method: "POST", path: "/vpc-channels/chan-1/members$" };

  async function nextRunConverges(foreignBefore: unknown) {
    emu.control.clearFaults();
    const next = await invoke("reconcile", timerEvent(), { env: rampEnv() });
    expect(next.error).toBeUndefined();
    expect(next.deadLetters).toEqual([]);
    expect(next.summary).toMatchObject({ ramping: 2, added: 1, updated: 0 });
    expect(web()).toEqual(CONVERGED);
    expect(sortMembers(foreignMembers(emu))).toEqual(foreignBefore);
    emu.control.clearCalls();
    await invoke("reconcile", timerEvent(), { env: rampEnv() });
    expect(writes(emu)).toEqual([]);
  }

  it("refused for good (400): the raises and the add are dead-lettered apart, the weights stay, the replay raises them", async () => {
    const foreignBefore = sortMembers(foreignMembers(emu));
    emu.control.addFault({
      ...POST_MEMBERS,
      times: 0,
      status: 400,
      body: { error_code: "APIG.2004", error_msg: "The parameter value is outside the allowable range" },
    });
    const inv = await invoke("reconcile", timerEvent(), { env: rampEnv() });
    expect(inv.error).toBeUndefined();
    expect(inv.summary).toMatchObject({ ramping: 0, added: 0, dead_lettered: 2 });
    expect(inv.summary!.plan.filter((e) => e.action === "ramp").map((e) => e.status)).toEqual([
      "failed",
      "failed",
    ]);
    expect(
      inv.deadLetters.map((d) => [
        d.action,
        [...(d.instance_ids as string[])].sort(),
        (d.error as { code: string }).code,
      ]),
    ).toEqual([
      ["add_members", ["i-3"], "APIG.2004"],
      ["update_members", ["i-1", "i-2"], "APIG.2004"],
    ]);
    for (const d of inv.deadLetters) expect(expectDeadLetterShape(d)).toEqual([]);
    expect(web()).toEqual(BEFORE);
    expect(sortMembers(foreignMembers(emu))).toEqual(foreignBefore);

    emu.control.clearFaults();
    const replay = await invoke("backfill", inv.deadLetters[0]!.replay, { env: rampEnv() });
    expect(replay.deadLetters).toEqual([]);
    expect(web()).toEqual(CONVERGED);
    emu.control.clearCalls();
    await invoke("reconcile", timerEvent(), { env: rampEnv() });
    expect(writes(emu)).toEqual([]);
  });

  it("refused on every attempt (500 APIG.9999): the invocation throws for the platform's retry, the weights stay, the next run raises them", async () => {
    const foreignBefore = sortMembers(foreignMembers(emu));
    emu.control.addFault({ ...POST_MEMBERS, times: 0, status: 500, body: systemError });
    const inv = await invoke("reconcile", timerEvent(), { env: rampEnv() });
    expect(inv.error?.name).toBe("TransientFailureError");
    expect(inv.deadLetters.map((d) => d.action).sort()).toEqual(["add_members", "update_members"]);
    expect(web()).toEqual(BEFORE);
    await nextRunConverges(foreignBefore);
  });

  it("refused once (503): retried within the run, which raises and adds all the same", async () => {
    const foreignBefore = sortMembers(foreignMembers(emu));
    emu.control.addFault({ ...POST_MEMBERS, times: 1, status: 503, body: "<html>503</html>" });
    const inv = await invoke("reconcile", timerEvent(), { env: rampEnv() });
    expect(inv.deadLetters).toEqual([]);
    expect(inv.summary).toMatchObject({ ramping: 2, added: 1 });
    expect(web()).toEqual(CONVERGED);
    expect(callsOf({ ...OPS[2]!, path: POST_MEMBERS.path })).toHaveLength(2);
    emu.control.clearCalls();
    await invoke("reconcile", timerEvent(), { env: rampEnv() });
    expect(writes(emu)).toEqual([]);
    expect(sortMembers(foreignMembers(emu))).toEqual(foreignBefore);
  });
});
