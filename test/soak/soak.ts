/**
 * The soak: a long random history against the emulator, run through the built bundles as separate
 * processes (processes.ts), with the contract's invariants (test/faults/contract-checks.ts) checked after
 * every round, and convergence after a quiet phase. Each round, the world moves (actors.ts), a few faults
 * are armed (faults.ts), one to three invocations run at once (a timer, a scaling event, a backfill),
 * and maybe one is killed part-way. Killed processes may leave work half done; the invariants must hold
 * anyway, and later runs must finish it.
 *
 * Time: the emulator and the bundle processes share a clock that the soak moves between rounds (a
 * lifecycle hook's timeout, after_seconds, cooldown_seconds pass in a step); within a round time is real
 * (a drain of a second is a second).
 *
 * Every choice comes from the seed, drawn afresh each round from the seed and the round's number, so a
 * round that the processes' scheduling made differ does not change the next round's choices.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { type Emulator, startEmulator } from "../emulator";
import { CallObserver } from "../faults/call-observer";
import { ContractChecks, type InvokeResult, type Invoker, timerEvent } from "../faults/contract-checks";
import { carriedOut, operationOf } from "../faults/operations";
import { check, PropertyFailure } from "../faults/world-spec";
import { envFor, type FunctionName } from "../support/harness";
import { inProcess } from "../sync/support";
import { Actors, SoakClock } from "./actors";
import { type ArmedFault, type FaultKind, faultsForRound, faultsHit } from "./faults";
import {
  bindingsFor,
  DEAD_LETTER_TOPIC,
  GATEWAY,
  GROUPS,
  initialState,
  type Settings,
  settingsFor,
  specFor,
  TARGETS,
} from "./layout";
import { killPlanFor, type PlannedInvocation, type ProcessResult, runProcesses } from "./processes";
import { Random } from "./random";

export interface SoakOptions {
  seed: number;
  rounds: number;
  /** Timer runs of the quiet phase, before the convergence checks. */
  quietRounds: number;
  /** Each round's progress, for a human watching (one line per round). */
  progress?: (line: string) => void;
  /** A directory where each round with a violation leaves its calls, logs and states (JSON), to study it. */
  dump?: string;
}

export interface SoakFigures {
  seed: number;
  rounds: number;
  quiet_rounds: number;
  invocations: number;
  kills: number;
  faults_hit: Partial<Record<FaultKind, number>>;
  hooks_completed: number;
  hooks_timed_out: number;
  quarantines: number;
  quarantines_held_by_budget: number;
  quarantines_held_by_guard: number;
  race_rounds: number;
  dead_letters: number;
  operator_changes: number;
  health_flips: number;
  peak_rss_mb: number;
  converged: boolean;
  seconds: number;
  violations: { count: number; first: string[] };
}

/** How long a killed process's last calls may still be in the emulator's hands (delays, held writes). */
const SETTLE_MS = 400;
/** Each invocation's time budget (FunctionGraph's timeout). */
const REMAINING_MS = 20_000;
const FIRST_VIOLATIONS = 5;

class Counter {
  readonly hits = new Map<string, number>();
  hit(key: string, n = 1): void {
    if (n > 0) this.hits.set(key, (this.hits.get(key) ?? 0) + n);
  }
  get(key: string): number {
    return this.hits.get(key) ?? 0;
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const smnEvent = (messages: readonly string[]) => ({
  record: messages.map((message, i) => ({
    event_source: "smn",
    smn: {
      message,
      message_id: `soak-${i}`,
      subject: "AS",
      topic_urn: "urn:smn:cn-north-4:proj-emulator:as-events",
      type: "notification",
    },
  })),
});

/** One to three invocations: the timer, a scaling event (recent messages, duplicated, reordered), a backfill. */
function invocationsFor(random: Random, messages: readonly string[]): PlannedInvocation[] {
  const n = random.weighted([
    [1, 6],
    [2, 3],
    [3, 1],
  ] as const);
  return Array.from({ length: n }, (): PlannedInvocation => {
    const fn = random.weighted<FunctionName>([
      ["reconcile", 2],
      ["scaling-events", 3],
      ["backfill", 1],
    ]);
    const planned: PlannedInvocation = {
      fn,
      event: eventFor(fn, random, messages),
      delayMs: random.pick([0, 0, 0, 20, 80, 200]),
    };
    // Now and then a short function timeout: too short for some drains, which then wait for a later
    // run, and their terminate hooks with them.
    if (random.chance(0.15)) planned.remainingMs = random.pick([1_500, 3_000, 6_000]);
    return planned;
  });
}

function eventFor(fn: FunctionName, random: Random, messages: readonly string[]): unknown {
  if (fn === "reconcile") return timerEvent;
  if (fn === "backfill")
    return random.weighted<Record<string, unknown>>([
      [{}, 4],
      [{ scaling_group_ids: [random.pick(GROUPS)] }, 4],
      [{ dry_run: true }, 1],
    ]);
  const recent = messages.slice(-8);
  const picked =
    recent.length === 0
      ? ["scaling activity"]
      : Array.from({ length: random.int(1, 3) }, () => random.pick(recent));
  return smnEvent(picked);
}

/** What a finished process must not do: crash, overrun its budget, or throw anything but the platform retry's error. */
function processProblems(results: readonly ProcessResult[]): string[] {
  return results.flatMap((r) => {
    if (r.overran) return [`${r.fn} outlived its time budget`];
    if (r.killed) return [];
    if (!r.summary && !r.error) return [`${r.fn} exited (code ${r.code}) without a result`];
    if (r.error && r.error.name !== "TransientFailureError")
      return [`${r.fn} threw ${r.error.name}: ${r.error.message}`];
    return [];
  });
}

const dryRun = (inv: PlannedInvocation) => (inv.event as { dry_run?: boolean }).dry_run === true;

class Soak {
  private readonly clock = new SoakClock();
  private readonly counter = new Counter();
  private readonly violations: string[] = [];
  private readonly faults = new Map<FaultKind, number>();
  private readonly figures = {
    invocations: 0,
    kills: 0,
    hooksCompleted: 0,
    quarantines: 0,
    heldByBudget: 0,
    heldByGuard: 0,
    deadLetters: 0,
    peakRssKb: 0,
  };
  private readonly settings: Settings;
  private emu!: Emulator;
  private observer!: CallObserver;
  private checks!: ContractChecks;
  private actors!: Actors;
  private env!: Record<string, string>;

  constructor(private readonly opts: SoakOptions) {
    this.settings = settingsFor(this.random(-1));
  }

  /** The choices of one round (or of the setup, -1): a fresh stream from the seed and the round. */
  private random(round: number): Random {
    return new Random(Math.imul(this.opts.seed ^ 0x5bd1e995, 2_654_435_761) + round * 40_503);
  }

  async run(): Promise<SoakFigures> {
    const started = Date.now();
    this.emu = await startEmulator({ now: this.clock.now, memberQuota: 100, defaultMemberHealth: "unknown" });
    let converged = false;
    try {
      this.emu.control.load(initialState(this.settings, this.clock.now()));
      this.observer = new CallObserver(this.emu.control);
      this.checks = new ContractChecks(
        this.emu,
        specFor(this.settings),
        this.clock,
        this.counter,
        this.observer,
      );
      const bindings = bindingsFor(this.settings);
      this.env = {
        ...envFor(this.emu, bindings),
        DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC,
        LOG_LEVEL: "info",
        RETRY_BASE_DELAY_MS: "1",
        RETRY_MAX_DELAY_MS: "4",
        REQUEST_TIMEOUT_MS: "600",
        HEALTH_POLL_INTERVAL_MS: "20",
        HEALTH_WAIT_MAX_MS: "40",
      };
      this.actors = new Actors(this.emu, this.checks, this.clock, () => inProcess(this.emu, bindings).deps);
      for (let round = 1; round <= this.opts.rounds; round++) await this.round(round);
      converged = await this.quietPhase();
    } finally {
      await this.emu.close();
    }
    this.opts.progress?.(`paths: ${JSON.stringify(Object.fromEntries(this.counter.hits))}`);
    return this.report(converged, started);
  }

  /** Records a failed check (its message names the round); anything else is the soak's own failure. */
  private violation(prefix: string, err: unknown): void {
    if (!(err instanceof PropertyFailure)) throw err;
    this.violations.push(`${prefix}${err.message}`.slice(0, 1500));
  }

  private async round(n: number): Promise<void> {
    const random = this.random(n);
    this.emu.control.clearFaults();
    await this.actors.act(random);
    const invocations = invocationsFor(random, this.actors.messages);
    const armed = faultsForRound(random);
    const kill = killPlanFor(random);
    this.emu.control.clearCalls();
    const before = this.checks.before();
    if (armed.length > 0) this.emu.control.addFault(armed.map((a) => a.fault));
    const results = await runProcesses(invocations, {
      env: this.env,
      clockOffsetMs: this.clock.offsetMs,
      remainingMs: REMAINING_MS,
      kill,
      observer: this.observer,
    });
    const killed = results.filter((r) => r.killed).length;
    if (killed > 0) await sleep(SETTLE_MS);
    this.emu.control.clearFaults();
    const calls = this.emu.control.calls();
    this.count(results, calls, armed, killed);
    const found = this.violations.length;
    try {
      this.checks.checkStep(`round ${n}`, before, calls, invocations.length);
    } catch (err) {
      this.violation("", err);
    }
    for (const p of processProblems(results)) this.violations.push(`round ${n}: ${p}`);
    if (this.violations.length > found && this.opts.dump) {
      const file = path.join(this.opts.dump, `soak-${this.opts.seed}-round-${n}.json`);
      const round = {
        violations: this.violations.slice(found),
        invocations,
        faults: armed,
        kill,
        before: before.state,
        after: this.emu.control.state(),
        calls,
        results,
      };
      await mkdir(this.opts.dump, { recursive: true });
      await writeFile(file, JSON.stringify(round, null, 1));
    }
    // AS announces the replacement a quarantine launched: the event that can start the next quarantine.
    if (calls.some((c) => operationOf(c) === "standby" && carriedOut(c)))
      this.actors.messages.push(JSON.stringify({ scaling_group_id: "asg-1", event: "instance appended" }));
    this.opts.progress?.(
      `round ${n}: ${invocations.map((i) => i.fn + (dryRun(i) ? " (dry run)" : "")).join(" + ")}` +
        `${armed.length ? `, faults ${armed.map((a) => `${a.kind}@${a.op}`).join(", ")}` : ""}` +
        `${kill ? `, kill ${kill.at}${killed ? "" : " (not reached)"}` : ""}; violations ${this.violations.length}`,
    );
  }

  private count(
    results: readonly ProcessResult[],
    calls: ReturnType<Emulator["control"]["calls"]>,
    armed: readonly ArmedFault[],
    killed: number,
  ): void {
    const f = this.figures;
    f.invocations += results.length;
    f.kills += killed;
    for (const [kind, n] of faultsHit(calls, armed)) this.faults.set(kind, (this.faults.get(kind) ?? 0) + n);
    f.hooksCompleted += calls.filter((c) => operationOf(c) === "callback" && carriedOut(c)).length;
    f.quarantines += calls
      .filter((c) => operationOf(c) === "standby" && carriedOut(c))
      .reduce((n, c) => n + ((c.body as { instances_id?: string[] }).instances_id?.length ?? 0), 0);
    for (const r of results) {
      f.peakRssKb = Math.max(f.peakRssKb, r.maxRssKb ?? 0);
      f.deadLetters += r.logs.filter((l) => l.dead_letter === true).length;
      f.heldByGuard += Number(r.summary?.quarantine_guarded ?? 0);
      f.heldByBudget += r.logs.filter(
        (l) =>
          String(l.msg).startsWith("the group's replacement budget is taken") ||
          (l.msg === "unhealthy member not quarantined this run" &&
            /^(max_in_standby|cooldown_seconds)/.test(String(l.reason))),
      ).length;
    }
  }

  /** One invocation in a process of its own, for the quiet phase (no faults, no kills). */
  private readonly call: Invoker = async (fn, event, env) => {
    const [r] = await runProcesses([{ fn, event, delayMs: 0 }], {
      env,
      clockOffsetMs: this.clock.offsetMs,
      remainingMs: REMAINING_MS,
      kill: undefined,
      observer: this.observer,
    });
    this.count([r!], [], [], 0);
    for (const p of processProblems([r!])) this.violations.push(`quiet phase: ${p}`);
    const result: InvokeResult = { deadLetters: r!.logs.filter((l) => l.dead_letter === true) };
    if (r!.summary) result.summary = r!.summary as unknown as Record<string, unknown>;
    if (r!.error) result.error = Object.assign(new Error(r!.error.message), { name: r!.error.name });
    return result;
  };

  /**
   * Faults off, no more scaling, replacements in service, every member healthy, the quota ample; timer
   * runs one at a time, each checked; then the desired state, every instance registered or
   * dead-lettered, hooks waiting only for a cause, and a run that writes nothing.
   */
  private async quietPhase(): Promise<boolean> {
    const control = this.emu.control;
    control.clearFaults();
    control.setOptions({ memberQuota: 100, defaultMemberHealth: "healthy" });
    for (const g of GROUPS) control.setScalingActivity(g, false);
    let last: InvokeResult | undefined;
    try {
      for (let k = 1; k <= this.opts.quietRounds; k++) {
        for (const t of TARGETS) {
          for (const m of this.checks.members(t)) {
            if (m.health_status === "healthy") continue;
            control.setMemberHealth({
              instance_id: GATEWAY,
              vpc_channel_id: t.channel,
              member_id: m.id,
              health_status: "healthy",
            });
            this.checks.healthChanged(m.id, "healthy");
          }
        }
        control.clearCalls();
        const before = this.checks.before();
        last = await this.call("reconcile", timerEvent, this.env);
        this.checks.checkStep(`quiet run ${k}`, before, control.calls(), 1);
      }
      const deadLetters = last?.deadLetters ?? [];
      check(deadLetters.length === 0, "the last quiet run dead-lettered", () => deadLetters);
      this.checks.expectConverged("after the quiet phase", deadLetters);
      this.checks.expectHooksSettled("after the quiet phase", new Set());
      await this.checks.expectQuiet(this.call, this.env);
      return true;
    } catch (err) {
      this.violation("quiet phase: ", err);
      return false;
    }
  }

  private report(converged: boolean, started: number): SoakFigures {
    const f = this.figures;
    return {
      seed: this.opts.seed,
      rounds: this.opts.rounds,
      quiet_rounds: this.opts.quietRounds,
      invocations: f.invocations,
      kills: f.kills,
      faults_hit: Object.fromEntries([...this.faults].sort(([a], [b]) => a.localeCompare(b))),
      hooks_completed: f.hooksCompleted,
      hooks_timed_out: this.actors.figures.hooksTimedOut,
      quarantines: f.quarantines,
      quarantines_held_by_budget: f.heldByBudget,
      quarantines_held_by_guard: f.heldByGuard,
      race_rounds: this.counter.get("budget: the race's signature"),
      dead_letters: f.deadLetters,
      operator_changes: this.actors.figures.operatorChanges,
      health_flips: this.actors.figures.healthFlips,
      peak_rss_mb: Math.round(f.peakRssKb / 102.4) / 10,
      converged,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      violations: { count: this.violations.length, first: this.violations.slice(0, FIRST_VIOLATIONS) },
    };
  }
}

export function runSoak(opts: SoakOptions): Promise<SoakFigures> {
  return new Soak(opts).run();
}
