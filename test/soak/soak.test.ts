/**
 * A short seeded soak (soak.ts): the built bundles as processes of their own, in parallel, some killed,
 * against the emulator with faults armed and the world moving between rounds; every invariant checked
 * each round and convergence after the quiet phase. `npm run soak` runs the long one (docs/soak.md).
 * Nothing here depends on how fast the machine is: a kill that a slow round never reaches, or a fault
 * that a retry outlasts, changes the figures, never the verdict.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runSoak } from "./soak";

const SEED = Number(process.env.SOAK_SEED ?? 2);
const ROUNDS = Number(process.env.SOAK_ROUNDS ?? 20);
const ROOT = path.resolve(import.meta.dirname, "../..");

describe("the soak", () => {
  it(`keeps every invariant through ${ROUNDS} rounds of seed ${SEED} and converges`, {
    timeout: 240_000,
  }, async () => {
    const figures = await runSoak({ seed: SEED, rounds: ROUNDS, quietRounds: 3 });
    expect(figures.violations).toEqual({ count: 0, first: [] });
    expect(figures.converged).toBe(true);
    // The rounds ran their invocations (one to three each, plus the quiet phase's), met faults and
    // completed hooks: a soak that did nothing would pass the checks above too.
    expect(figures.invocations).toBeGreaterThanOrEqual(ROUNDS + 3);
    expect(Object.values(figures.faults_hit).reduce((n, k) => n + (k ?? 0), 0)).toBeGreaterThan(0);
    expect(figures.hooks_completed).toBeGreaterThan(0);
    expect(figures.peak_rss_mb).toBeGreaterThan(0);
  });

  it("`npm run soak` prints one JSON line of figures and exits 0, or names a bad option and exits 2", {
    timeout: 120_000,
  }, async () => {
    const run = promisify(execFile);
    const tsx = path.join(ROOT, "node_modules/.bin/tsx");
    const script = path.join(ROOT, "scripts/soak.ts");
    const ok = await run(tsx, [script, "--seed", "5", "--rounds", "1", "--quiet-rounds", "1"], { cwd: ROOT });
    const lines = ok.stdout.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      seed: 5,
      rounds: 1,
      quiet_rounds: 1,
      converged: true,
      violations: { count: 0 },
    });
    const bad = await run(tsx, [script, "--rounds", "many"], { cwd: ROOT }).catch((e: unknown) => e);
    expect(bad).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--rounds must be a whole number >= 0, not "many"'),
    });
  });
});
