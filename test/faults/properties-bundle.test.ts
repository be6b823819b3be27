/**
 * The model of properties.test.ts, through the built bundles (dist/<name>/index.js) exactly as
 * FunctionGraph loads them, with the same invariants checked at every step. Fewer cases (one emulator;
 * overlapping invocations run in this process too, the harness keeping each one's output apart), and on
 * the real clock (a bundle sleeps for real): drain_seconds of 0 or 1, no waits; the ages and
 * unhealthy-since tags of the starting world reach the time-driven paths (ABANDON, a quarantine)
 * instead. PROPERTY_BUNDLE_RUNS sets the count, PROPERTY_SEED the seed, PROPERTY_COVERAGE=1 prints what
 * the cases reached.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emulatorForFile } from "../support/emulator-for-file";
import { envFor, invoke } from "../support/harness";
import { Coverage, type Invoker, realClock, runCase, scenario } from "./property-model";

const RUNS = Number(process.env.PROPERTY_BUNDLE_RUNS ?? 150);
const SEED = Number(process.env.PROPERTY_SEED ?? 20_261_122);

const emu = await emulatorForFile();

const call: Invoker = async (fn, event, env) => {
  const inv = await invoke(fn, event, { env });
  return {
    ...(inv.error ? { error: inv.error } : {}),
    ...(inv.summary ? { summary: inv.summary as unknown as Record<string, unknown> } : {}),
    deadLetters: inv.deadLetters,
  };
};

describe("histories of events and health, delivered with duplicates, reordering, drops, overlap and faults", () => {
  it(`keep every invariant at every step through the built bundles (${RUNS} cases)`, {
    timeout: 300_000,
  }, async () => {
    const coverage = new Coverage();
    const env = {
      ...envFor(emu, []),
      LOG_LEVEL: "warn",
      RETRY_BASE_DELAY_MS: "1",
      RETRY_MAX_DELAY_MS: "4",
      // A launch hook waits for APIG health for real here: two polls, not six.
      HEALTH_POLL_INTERVAL_MS: "20",
      HEALTH_WAIT_MAX_MS: "40",
    };
    await fc.assert(
      fc.asyncProperty(scenario({ realTime: true }), (s) => runCase(emu, s, call, env, realClock, coverage)),
      { numRuns: RUNS, seed: SEED },
    );
    if (process.env.PROPERTY_COVERAGE) console.log(JSON.stringify(coverage));
    expect(coverage.cases).toBeGreaterThanOrEqual(RUNS);
    // Every operation, path and variant; faults on every operation but the three a case calls only a
    // dozen times over these cases (the replacement's standby action and server tags, the dead-letter
    // publish): properties.test.ts reaches faults on those by the dozen.
    const rare = ["fault: standby", "fault: ecs tags", "fault: smn publish"];
    expect(coverage.missing(Coverage.required().filter((k) => !rare.includes(k)))).toEqual([]);
  });
});
