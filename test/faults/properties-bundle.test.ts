/**
 * The property of properties.test.ts, through the built bundles (dist/<name>/index.js) exactly as
 * FunctionGraph loads them: fewer cases (one emulator, one invocation at a time, since the harness
 * captures the process's stdout), same model and invariants. PROPERTY_BUNDLE_RUNS sets the count.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emulatorForFile } from "../support/emulator-for-file";
import { envFor, invoke } from "../support/harness";
import { emptyCoverage, type Invoker, runCase, scenario } from "./property-model";

const RUNS = Number(process.env.PROPERTY_BUNDLE_RUNS ?? 200);

const emu = await emulatorForFile();

const call: Invoker = async (fn, event, env) => {
  const inv = await invoke(fn, event, { env });
  return { ...(inv.error ? { error: inv.error } : {}), deadLetters: inv.deadLetters };
};

describe("events with duplicates, reordering, drops and transient faults, then one reconcile", () => {
  it(`converges through the built bundles (${RUNS} cases)`, { timeout: 300_000 }, async () => {
    const coverage = emptyCoverage();
    const env = { ...envFor(emu, []), LOG_LEVEL: "warn", RETRY_BASE_DELAY_MS: "1", RETRY_MAX_DELAY_MS: "4" };
    await fc.assert(
      fc.asyncProperty(scenario(), (s) => runCase(emu, s, call, env, coverage)),
      { numRuns: RUNS },
    );
    expect(coverage.cases).toBeGreaterThanOrEqual(RUNS);
    expect(coverage.faultedCalls).toBeGreaterThan(0);
    expect(coverage.writes).toBeGreaterThan(0);
  });
});
