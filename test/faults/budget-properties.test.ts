/**
 * Property: whatever the health history (healthy / unhealthy / unknown, flipped between steps and in the
 * middle of one), the time passing between steps and what an operator does meanwhile (exit standby,
 * remove the quarantined-at tag, remove the instance), two or three invocations overlapping against the
 * same emulator never together break replace_unhealthy's budget:
 *
 * - never more than max_in_standby instances this function quarantined in standby in the group (those an
 *   operator released excepted), as long as no step has had the one race the rule leaves open: a run
 *   removing, as a leftover, the tag of an instance another run of the same step is quarantining. From
 *   such a step on, never more than the bound docs/replacement-budget.md states: max_in_standby plus
 *   min(max_per_run, max_in_standby) for each other run of that step;
 * - never a quarantine within cooldown_seconds of an earlier one that still holds budget (in a step with
 *   that race, the batches of the step itself excepted);
 * - never a quarantine in a step whose health readings trip max_unhealthy_fraction, counted over the
 *   members with a reading;
 * - every instance this function moved to standby carries its quarantined-at tag;
 * - after a last reconcile, the member group holds exactly the serving instances.
 *
 * The runs go through the src entry (src/runtime/invoke.ts, the code the bundles are built from), in
 * process, on one injected clock (InvokeOptions.now): the runs of a step share its time, nothing sleeps.
 * AS completes each replacement as soon as the ENTER_STANDBY is answered, so that AS's own refusal
 * during a scaling activity never hides a second quarantine: the budget alone must hold it back.
 * BUDGET_PROPERTY_RUNS sets the number of cases (default 60), BUDGET_PROPERTY_SEED the generator's
 * starting point (default: a new one each time).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { invoke } from "../../src/runtime/invoke";
import { emulatorForFile } from "../support/emulator-for-file";
import { apigChannel, apigInstance, type Binding, envFor, fakeContext, members } from "../support/harness";
import { inProcess } from "../sync/support";

const RUNS = Number(process.env.BUDGET_PROPERTY_RUNS ?? 60);
const SEED = process.env.BUDGET_PROPERTY_SEED;
const emu = await emulatorForFile();

const UNHEALTHY_SINCE = "channel-autoscaler-unhealthy-since";
const QUARANTINED_AT = "channel-autoscaler-quarantined-at";
const POOL = ["i-0", "i-1", "i-2", "i-3", "i-4", "i-5"];
const STANDBY = new Set(["STANDBY", "ENTERING_STANDBY"]);

type Health = "healthy" | "unhealthy" | "unknown";
const health = fc.constantFrom<Health>("healthy", "healthy", "unhealthy", "unknown");

const scenario = fc.record({
  instances: fc.integer({ min: 3, max: POOL.length }),
  /** Unhealthy long enough at the start (their tag is old): candidates from the first step on. */
  dueAtStart: fc.array(fc.boolean(), { minLength: POOL.length, maxLength: POOL.length }),
  maxPerRun: fc.constantFrom(1, 1, 2),
  maxInStandby: fc.constantFrom(1, 2, 2),
  cooldown: fc.constantFrom(0, 300, 600, 600),
  fraction: fc.constantFrom(0.34, 0.5, 1, 1),
  steps: fc.array(
    fc.record({
      advance: fc.constantFrom(0, 30, 30, 120, 400, 700),
      /** Per member (in listing order): its new health, or none to keep what it reports. */
      health: fc.array(fc.option(health, { nil: undefined, freq: 2 }), {
        minLength: POOL.length,
        maxLength: POOL.length,
      }),
      /** After the first member listing of the step, one member's health changes. */
      flip: fc.option(
        fc.record({
          member: fc.nat({ max: POOL.length - 1 }),
          // Mostly a sick member recovering: the runs after it then choose another candidate.
          to: fc.constantFrom<Health>("healthy", "healthy", "unhealthy", "unknown"),
        }),
        { nil: undefined, freq: 2 },
      ),
      operator: fc.option(fc.constantFrom("exit", "untag", "remove"), { nil: undefined }),
      runs: fc.array(
        fc.record({
          fn: fc.constantFrom("reconcile", "scaling-events"),
          delayMs: fc.constantFrom(0, 0, 1, 3, 8),
        }),
        { minLength: 2, maxLength: 3 },
      ),
      latencyMs: fc.constantFrom(0, 0, 1),
      /** AS takes this long (ms) before it applies the step's first ENTER_STANDBY: a quarantine in flight. */
      slowStandby: fc.constantFrom(0, 0, 5, 20),
    }),
    { minLength: 2, maxLength: 5 },
  ),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer S> ? S : never;

const keep = (): Scenario["steps"][number]["health"] => POOL.map(() => undefined);
const together = (n: number): Scenario["steps"][number]["runs"] =>
  Array.from({ length: n }, () => ({ fn: "reconcile", delayMs: 0 }));

/** Cases that always run beside the random ones: each is where one rule is what holds a run back. */
const EXAMPLES: Scenario[] = [
  // Two due, one run at a time, room for one in standby: the second run finds the first's quarantine
  // in standby and holds its own back for max_in_standby (whatever the machine's speed).
  {
    instances: 4,
    dueAtStart: [true, true, false, false, false, false],
    maxPerRun: 1,
    maxInStandby: 1,
    cooldown: 0,
    fraction: 1,
    steps: ([0, 30] as const).map((advance) => ({
      advance,
      health: keep(),
      flip: undefined,
      operator: undefined,
      runs: together(1),
      latencyMs: 0,
      slowStandby: 0,
    })),
  },
  // Two due at once, room for two in standby: the second waits out cooldown_seconds.
  {
    instances: 4,
    dueAtStart: [true, true, false, false, false, false],
    maxPerRun: 1,
    maxInStandby: 2,
    cooldown: 600,
    fraction: 1,
    steps: ([0, 30, 700] as const).map((advance) => ({
      advance,
      health: keep(),
      flip: undefined,
      operator: undefined,
      runs: together(2),
      latencyMs: 0,
      slowStandby: 0,
    })),
  },
  // Two runs at once choose different instances (i-0 recovers between their listings): the re-count
  // holds back at least one of them, so max_in_standby 1 holds.
  {
    instances: 4,
    dueAtStart: [true, true, false, false, false, false],
    maxPerRun: 1,
    maxInStandby: 1,
    cooldown: 0,
    fraction: 1,
    steps: [
      {
        advance: 0,
        health: keep(),
        flip: { member: 0, to: "healthy" },
        operator: undefined,
        runs: together(3),
        latencyMs: 0,
        slowStandby: 0,
      },
      {
        advance: 30,
        health: keep(),
        flip: undefined,
        operator: "untag",
        runs: together(2),
        latencyMs: 1,
        slowStandby: 0,
      },
    ],
  },
  // A broken check during a scale-out: two unhealthy, two not checked yet. Over the readings that is
  // all of them; unknown taken for healthy, it would be exactly half.
  {
    instances: 4,
    dueAtStart: [true, true, false, false, false, false],
    maxPerRun: 1,
    maxInStandby: 2,
    cooldown: 0,
    fraction: 0.5,
    steps: [
      {
        advance: 0,
        health: ["unhealthy", "unhealthy", "unknown", "unknown", undefined, undefined],
        flip: undefined,
        operator: undefined,
        runs: together(2),
        latencyMs: 0,
        slowStandby: 0,
      },
    ],
  },
];

class BudgetViolation extends Error {}
function check(cond: boolean, what: string, detail: () => unknown): void {
  if (!cond) throw new BudgetViolation(`${what}: ${JSON.stringify(detail())}`);
}

const timerEvent = { version: "v1.0", trigger_type: "TIMER", time: "", trigger_name: "t", user_event: "" };
const smnEvent = {
  record: [
    {
      event_source: "smn",
      smn: {
        message: JSON.stringify({ scaling_group_id: "asg-1" }),
        subject: "AS",
        topic_urn: "urn:smn:cn-north-4:p:as",
        message_id: "m-1",
        type: "notification",
      },
    },
  ],
};

/** Fraction of unhealthy among the members with a reading: what the guard is counted over. */
function trips(readings: readonly Health[], fraction: number): boolean {
  const unhealthy = readings.filter((h) => h === "unhealthy").length;
  const read = readings.filter((h) => h !== "unknown").length;
  return read > 0 && unhealthy / read > fraction;
}

interface Coverage {
  quarantines: number;
  recountHolds: number;
  budgetHolds: number;
  cooldownHolds: number;
  guardSteps: number;
  concurrentSteps: number;
  /** Steps where a run removed the tag of an instance another run of the step was quarantining. */
  raceSteps: number;
  /** Steps that ended with more than max_in_standby quarantined instances in standby. */
  beyondSteps: number;
  /** Tags a run put back on an instance that entered standby after it removed the tag. */
  putBack: number;
}

async function runCase(s: Scenario, coverage: Coverage): Promise<void> {
  const t0 = Date.now();
  const ids = POOL.slice(0, s.instances);
  const old = new Date(t0 - 7_200_000).toISOString();
  emu.control.reset();
  emu.control.setOptions({ memberQuota: 100, latencyMs: 0, defaultMemberHealth: "unknown" });
  emu.control.load({
    gateways: apigInstance([
      apigChannel({
        healthConfig: {
          protocol: "TCP",
          threshold_normal: 2,
          threshold_abnormal: 2,
          time_interval: 10,
          timeout: 5,
        },
        members: ids.map((id) => ({
          ecs_id: id,
          ecs_name: `web-${id}`,
          member_group_name: "web",
          create_time: old,
          health_status: s.dueAtStart[POOL.indexOf(id)] ? "unhealthy" : "healthy",
        })),
      }),
    ]),
    scaling_groups: [
      {
        scaling_group_id: "asg-1",
        scaling_group_name: "web",
        instances: ids.map((id) => ({ instance_id: id, create_time: old })),
      },
    ],
    servers: ids.map((id) => ({
      id,
      ...(s.dueAtStart[POOL.indexOf(id)]
        ? { tags: { [UNHEALTHY_SINCE]: String(Math.floor(t0 / 1000) - 900) } }
        : {}),
    })),
  });
  const binding: Binding = {
    scaling_group_id: "asg-1",
    gateway: "apig",
    instance_id: "apig-1",
    vpc_channel_id: "chan-a",
    member_group_name: "web",
    drain_seconds: 0,
    replace_unhealthy: {
      after_seconds: 60,
      max_per_run: s.maxPerRun,
      max_unhealthy_fraction: s.fraction,
      max_in_standby: s.maxInStandby,
      cooldown_seconds: s.cooldown,
    },
  };
  const env = {
    ...envFor(emu, [binding]),
    LOG_LEVEL: "info",
    RETRY_BASE_DELAY_MS: "1",
    RETRY_MAX_DELAY_MS: "4",
  };
  const operator = inProcess(emu, [binding]).deps;
  const group = () => emu.control.state().scaling_groups[0]!.instances;
  const tagsOf = (id: string) => emu.control.state().servers.find((x) => x.id === id)?.tags ?? {};
  const webMembers = () => members(emu, "apig-1", "chan-a").filter((m) => m.member_group_name === "web");

  /** Instances this function moved to standby and no operator has released since. */
  const held = new Set<string>();
  /** Quarantines that happened: when (simulated seconds), which instances. */
  const events: { at: number; step: number; ids: string[] }[] = [];
  let clock = Math.floor(t0 / 1000);
  /** The most runs a step with the race had so far (0: none had it). */
  let raceRuns = 0;

  for (const [stepIndex, step] of s.steps.entries()) {
    clock += step.advance;
    emu.control.setOptions({ latencyMs: step.latencyMs });

    // An operator releases one quarantined instance, as the runbook says.
    const released = [...held][0];
    if (step.operator && released !== undefined) {
      if (step.operator === "untag") await operator.ecs.deleteServerTag(released, QUARANTINED_AT);
      if (step.operator === "exit")
        emu.control.setInstance({
          scaling_group_id: "asg-1",
          instance_id: released,
          life_cycle_state: "INSERVICE",
        });
      if (step.operator === "remove") emu.control.removeInstance("asg-1", released);
      held.delete(released);
    }

    // Health of every member the group has now; what the runs of this step judge.
    const inGroup = new Set(group().map((i) => i.instance_id));
    const judged = webMembers().filter((m) => m.status !== 2 && m.ecs_id && inGroup.has(m.ecs_id));
    const readings = judged.map((m, k) => {
      const h = step.health[k % step.health.length] ?? ((m.health_status ?? "unknown") as Health);
      emu.control.setMemberHealth({
        instance_id: "apig-1",
        vpc_channel_id: "chan-a",
        member_id: m.id,
        health_status: h,
      });
      return h;
    });
    const flipped = [...readings];
    if (step.flip && judged.length > 0) {
      const k = step.flip.member % judged.length;
      flipped[k] = step.flip.to;
      const target = judged[k]!;
      emu.control.afterNextCall({ method: "GET", path: "/vpc-channels/chan-a/members$" }, () =>
        emu.control.setMemberHealth({
          instance_id: "apig-1",
          vpc_channel_id: "chan-a",
          member_id: target.id,
          health_status: step.flip!.to,
        }),
      );
    }
    // A delay left from a step that sent no ENTER_STANDBY does not carry over.
    emu.control.clearFaults();
    if (step.slowStandby > 0)
      emu.control.addFault({
        method: "POST",
        path: "/scaling_group_instance/asg-1/action$",
        delayMs: step.slowStandby,
      });
    // AS completes each replacement at once, and so never refuses the next ENTER_STANDBY itself.
    for (const _ of step.runs)
      emu.control.afterNextCall({ method: "POST", path: "/scaling_group_instance/asg-1/action$" }, () =>
        emu.control.setScalingActivity("asg-1", false),
      );
    emu.control.clearCalls();

    const now = clock * 1000;
    const logs = (
      await Promise.all(
        step.runs.map(async (r) => {
          await new Promise((resolve) => setTimeout(resolve, r.delayMs));
          const lines: string[] = [];
          await invoke(r.fn, r.fn === "reconcile" ? timerEvent : smnEvent, fakeContext({ env }), {
            write: (line) => lines.push(line),
            now: () => now,
          });
          return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
        }),
      )
    ).flat();
    check(
      logs.every((l) => l.dead_letter !== true),
      "dead letter",
      () => logs.filter((l) => l.dead_letter === true),
    );

    const moves = emu.control
      .calls()
      .filter((c) => c.method === "POST" && c.path.endsWith("/scaling_group_instance/asg-1/action"));
    const accepted = moves
      .filter((c) => c.status === 204)
      .map((c) => (c.body as { instances_id: string[] }).instances_id);
    coverage.quarantines += accepted.length;
    coverage.concurrentSteps += step.runs.length > 1 ? 1 : 0;
    const msgs = logs.map((l) => String(l.msg));
    coverage.recountHolds += msgs.filter((m) =>
      m.startsWith("the group's replacement budget is taken"),
    ).length;
    const reasons = logs
      .filter((l) => l.msg === "unhealthy member not quarantined this run")
      .map((l) => String(l.reason));
    coverage.budgetHolds += reasons.filter((r) => r.startsWith("max_in_standby")).length;
    coverage.cooldownHolds += reasons.filter((r) => r.startsWith("cooldown_seconds")).length;
    coverage.putBack += msgs.filter((m) => m.includes("tag put back")).length;

    // The race: a run's first read found the tag of an instance that another run of this step tagged for
    // its quarantine (or a leftover on it), and removed it. Told from the calls: a quarantined-at tag
    // written on a server in this step, then removed from it.
    const quarantinedAtWrites = emu.control
      .calls()
      .filter(
        (c) =>
          c.method === "POST" &&
          c.path.endsWith("/tags/action") &&
          JSON.stringify(c.body).includes(QUARANTINED_AT),
      );
    const server = (c: { path: string }) => c.path.split("/").at(-3);
    const action = (c: { body?: unknown }) => (c.body as { action: string }).action;
    const race = quarantinedAtWrites.some(
      (c, k) =>
        action(c) === "delete" &&
        quarantinedAtWrites.slice(0, k).some((w) => action(w) === "create" && server(w) === server(c)),
    );
    if (race) {
      coverage.raceSteps += 1;
      raceRuns = Math.max(raceRuns, step.runs.length);
    }

    // Guard: when every view of this step's health trips it, nothing is moved.
    if (trips(readings, s.fraction) && trips(flipped, s.fraction)) {
      coverage.guardSteps += 1;
      check(moves.length === 0, "a quarantine while the guard should trip", () => ({
        readings,
        flipped,
        moves,
      }));
    }
    // Cooldown: no move within cooldown_seconds of an earlier one that still holds budget.
    for (const batch of accepted) {
      if (s.cooldown > 0) {
        const earlier = events.filter(
          (e) =>
            e.ids.some((id) => held.has(id)) && clock - e.at < s.cooldown && !(race && e.step === stepIndex),
        );
        check(earlier.length === 0, "a quarantine within cooldown_seconds", () => ({
          batch,
          clock,
          earlier,
        }));
      }
      events.push({ at: clock, step: stepIndex, ids: batch });
      for (const id of batch) held.add(id);
    }
    // Budget: the quarantined instances still in standby, each with its tag.
    const states = new Map(group().map((i) => [i.instance_id, i.life_cycle_state]));
    for (const id of [...held]) if (!STANDBY.has(states.get(id) ?? "")) held.delete(id);
    const bound = s.maxInStandby + Math.max(0, raceRuns - 1) * Math.min(s.maxPerRun, s.maxInStandby);
    check(
      held.size <= bound,
      raceRuns > 0
        ? "more quarantined instances in standby than the documented bound"
        : "more quarantined instances in standby than max_in_standby, without the race",
      () => ({ held: [...held], bound, events }),
    );
    if (held.size > s.maxInStandby) coverage.beyondSteps += 1;
    for (const id of held)
      check(tagsOf(id)[QUARANTINED_AT] !== undefined, "a quarantined instance without its tag", () => id);
  }

  // One more run, with every member healthy so that it replaces nothing: the member group then holds
  // exactly the serving instances.
  emu.control.setScalingActivity("asg-1", false);
  for (const m of webMembers())
    emu.control.setMemberHealth({
      instance_id: "apig-1",
      vpc_channel_id: "chan-a",
      member_id: m.id,
      health_status: "healthy",
    });
  await invoke("reconcile", timerEvent, fakeContext({ env: { ...env, LOG_LEVEL: "warn" } }), {
    write: () => undefined,
    now: () => clock * 1000,
  });
  const serving = group()
    .filter((i) => i.life_cycle_state === "INSERVICE")
    .map((i) => i.instance_id)
    .sort();
  const registered = webMembers()
    .map((m) => m.ecs_id)
    .sort();
  check(
    JSON.stringify(registered) === JSON.stringify(serving),
    "member group is not the serving instances",
    () => ({
      registered,
      serving,
    }),
  );
}

describe("the replacement budget under concurrent invocations (src entry, one emulator, injected clock)", () => {
  it(`never exceeds max_in_standby (but in the documented race, its bound), never quarantines within cooldown_seconds or past the guard (${RUNS} cases)`, {
    timeout: 600_000,
  }, async () => {
    const coverage: Coverage = {
      quarantines: 0,
      recountHolds: 0,
      budgetHolds: 0,
      cooldownHolds: 0,
      guardSteps: 0,
      concurrentSteps: 0,
      raceSteps: 0,
      beyondSteps: 0,
      putBack: 0,
    };
    await fc.assert(
      fc.asyncProperty(scenario, (s) => runCase(s, coverage)),
      { numRuns: RUNS, examples: EXAMPLES.map((e) => [e]), ...(SEED ? { seed: Number(SEED) } : {}) },
    );
    if (process.env.PROPERTY_COVERAGE) console.log(JSON.stringify(coverage));
    // The generator keeps exercising what the property is about.
    expect(coverage.quarantines).toBeGreaterThan(RUNS / 4);
    expect(coverage.recountHolds).toBeGreaterThan(0);
    expect(coverage.budgetHolds).toBeGreaterThan(0);
    expect(coverage.cooldownHolds).toBeGreaterThan(0);
    expect(coverage.guardSteps).toBeGreaterThan(0);
  });
});
