/**
 * Property: whatever the history (scale-out / scale-in / lifecycle hooks / AS health / APIG health
 * flips / time passing), however it is delivered (duplicated, reordered, dropped, to two or three
 * invocations at once) and whatever faults hit any operation meanwhile, every step keeps the contract's
 * invariants and the quiet phase ends converged (property-model.ts says which, and checks them).
 *
 * The bulk of the cases run the src entry (src/runtime/invoke.ts, the code the bundles are built from)
 * in-process, several runners at once, each with its own emulator on its own virtual clock, which the
 * entry's sleeps move: drains of 30 s and waits of minutes cost nothing. properties-bundle.test.ts runs
 * the same model through the built bundles. PROPERTY_RUNS sets the count (default 500),
 * PROPERTY_SEED the seed (default fixed, so a run is reproducible), PROPERTY_COVERAGE=1 prints what the
 * cases reached.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invoke } from "../../src/runtime/invoke";
import { type Emulator, envFor, fakeContext, startEmulator } from "../support/harness";
import { Coverage, type Invoker, runCase, scenario, VirtualClock } from "./property-model";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 500);
const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_122);
const RUNNERS = 4;

const runners: { emu: Emulator; clock: VirtualClock }[] = [];
beforeAll(async () => {
  for (let k = 0; k < RUNNERS; k++) {
    const clock = new VirtualClock();
    runners.push({ emu: await startEmulator({ now: clock.now }), clock });
  }
});
afterAll(async () => {
  await Promise.all(runners.map((r) => r.emu.close()));
});

/** The src entry on the runner's clock: its decisions read it, its drains and health polls move it. */
const invokerOn =
  (clock: VirtualClock): Invoker =>
  async (fn, event, env) => {
    const lines: string[] = [];
    let summary: Record<string, unknown> | undefined;
    let error: Error | undefined;
    try {
      summary = (await invoke(fn, event, fakeContext({ env }), {
        write: (line) => lines.push(line),
        now: clock.now,
        sleep: clock.sleep,
      })) as unknown as Record<string, unknown>;
    } catch (err) {
      error = err as Error;
    }
    const deadLetters = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.dead_letter === true);
    return { ...(error ? { error } : {}), ...(summary ? { summary } : {}), deadLetters };
  };

describe("histories of events, health and time, delivered with duplicates, reordering, drops, overlap and faults", () => {
  it(`keep every invariant at every step and end converged (${RUNS} cases, src entry)`, {
    timeout: 600_000,
  }, async () => {
    const coverage = new Coverage();
    await Promise.all(
      runners.map(({ emu, clock }, k) => {
        const env = {
          ...envFor(emu, []),
          LOG_LEVEL: "warn",
          RETRY_BASE_DELAY_MS: "1",
          RETRY_MAX_DELAY_MS: "4",
          // A rate of its own per runner: token buckets are shared per service and rate.
          API_RATE_LIMIT: String(1000 - k),
        };
        return fc.assert(
          fc.asyncProperty(scenario(), (s) => runCase(emu, s, invokerOn(clock), env, clock, coverage)),
          { numRuns: Math.ceil(RUNS / RUNNERS), seed: SEED + k },
        );
      }),
    );
    if (process.env.PROPERTY_COVERAGE) console.log(JSON.stringify(coverage));
    // The generator must keep reaching every operation, fault and path the invariants are about.
    expect(coverage.cases).toBeGreaterThanOrEqual(RUNS);
    expect(coverage.missing(Coverage.required())).toEqual([]);
    expect(coverage.deliveries).toBeGreaterThan(coverage.cases / 2);
  });
});
