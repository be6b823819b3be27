import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

// `npm run demo` is the README's first command: it must keep working, and keep telling the truth.
describe("the demo", () => {
  it("runs the built bundles against the emulator and ends converged", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [path.join(root, "node_modules/tsx/dist/cli.mjs"), path.join(root, "scripts/demo.ts")],
      { cwd: root, env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(stdout).toContain("1. Scale-out: SMN notification names asg-web");
    expect(stdout).toMatch(
      /2\. Duplicate delivery[^\n]*\n(?: {2}200 GET[^\n]*\n){2} {2}→ added 0, updated 0, disabled 0, removed 0/,
    );
    // The drift step says what drifted, then shows the timer's re-add of exactly that instance.
    expect(stdout).toMatch(
      /4\. Drift repaired[^\n]*\n {2}drift: i-2's member [0-9a-f]{32} was deleted by hand[^\n]*\n(?:[^\n]*\n)*? {2}201 POST[^\n]*"ecs_id":"i-2"/,
    );
    expect(stdout).toContain(
      'Converged: AS group serves i-2, i-3; channel group "web" holds the same; "legacy" untouched.',
    );
  });
});
