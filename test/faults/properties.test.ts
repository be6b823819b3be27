/**
 * Property: whatever the history of scale-out / scale-in / lifecycle-hook / health events, however it is
 * delivered (duplicated, reordered, dropped) and whatever transient faults hit the API meanwhile, one
 * reconcile ends with our member group equal to the desired set and foreign members untouched; and no
 * delivery along the way ever loses a desired member or touches a foreign one (property-model.ts).
 *
 * The bulk of the cases run the src entry (src/runtime/invoke.ts, the code the bundles are built from)
 * in-process, several runners at once, each with its own emulator; properties-bundle.test.ts runs the
 * same property through the built bundles. PROPERTY_RUNS raises or lowers the count (default 1,000).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { invoke } from "../../src/runtime/invoke";
import { type Emulator, envFor, fakeContext, startEmulator } from "../support/harness";
import { emptyCoverage, type Invoker, runCase, scenario } from "./property-model";

const RUNS = Number(process.env.PROPERTY_RUNS ?? 1_000);
const RUNNERS = 4;

const emulators: Emulator[] = [];
beforeAll(async () => {
  for (let k = 0; k < RUNNERS; k++) emulators.push(await startEmulator());
});
afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
});

const call: Invoker = async (fn, event, env) => {
  const lines: string[] = [];
  let error: Error | undefined;
  try {
    await invoke(fn, event, fakeContext({ env }), { write: (line) => lines.push(line) });
  } catch (err) {
    error = err as Error;
  }
  const deadLetters = lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.dead_letter === true);
  return { ...(error ? { error } : {}), deadLetters };
};

describe("events with duplicates, reordering, drops and transient faults, then one reconcile", () => {
  it(`converges to the desired set, foreign members untouched (${RUNS} cases, src entry)`, {
    timeout: 600_000,
  }, async () => {
    const coverage = emptyCoverage();
    await Promise.all(
      emulators.map((emu, k) => {
        const env = {
          ...envFor(emu, []),
          LOG_LEVEL: "warn",
          RETRY_BASE_DELAY_MS: "1",
          RETRY_MAX_DELAY_MS: "4",
          // A rate of its own per runner: token buckets are shared per service and rate.
          API_RATE_LIMIT: String(1000 - k),
        };
        return fc.assert(
          fc.asyncProperty(scenario(), (s) => runCase(emu, s, call, env, coverage)),
          { numRuns: Math.ceil(RUNS / RUNNERS) },
        );
      }),
    );
    // The generator must keep exercising what the property is about.
    expect(coverage.cases).toBeGreaterThanOrEqual(RUNS);
    expect(coverage.deliveries).toBeGreaterThan(coverage.cases / 2);
    expect(coverage.faultedCalls).toBeGreaterThan(coverage.cases / 4);
    expect(coverage.deadLettered).toBeGreaterThan(0);
    expect(coverage.writes).toBeGreaterThan(coverage.cases / 2);
    for (const n of Object.values(coverage.variants)) expect(n).toBeGreaterThan(coverage.cases / 10);
    if (process.env.PROPERTY_COVERAGE) console.log(JSON.stringify(coverage));
  });
});
