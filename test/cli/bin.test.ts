import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseState, type Emulator, envFor, instance, startEmulator, webBinding } from "../support/harness";

const root = path.resolve(import.meta.dirname, "../..");
const bin = path.join(root, "bin/channel-autoscaler.cjs");

/** Runs the committed bin (which loads dist/cli/index.js, built by `npm run build`) as a child process. */
async function run(file: string, args: string[], env: Record<string, string> = {}, cwd = root) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [file, ...args], {
      env: { PATH: process.env.PATH ?? "", ...env },
      cwd,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});

describe("bin/channel-autoscaler.cjs (the built CLI)", () => {
  it("is built", () => {
    expect(existsSync(path.join(root, "dist/cli/index.js")), "run npm run build first").toBe(true);
  });

  it("--help lists the commands and exits 0; bad usage exits 2", async () => {
    const help = await run(bin, ["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: channel-autoscaler/);
    const bad = await run(bin, ["plan", "--nope"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--nope'");
  });

  it("plans against the emulator from the environment, with the exit code of the run", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    const ok = await run(bin, ["plan"], envFor(emu, [webBinding]));
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/add +i-1/);
    emu.control.setOptions({ memberQuota: 1 });
    const failed = await run(bin, ["sync"], envFor(emu, [webBinding]));
    expect(failed.code).toBe(1);
    expect(failed.stdout).toContain("APIG.3110");
    emu.control.setOptions({ memberQuota: 10 });
  });

  it("a missing --dotenv file exits 2 with the CLI's message (Node.js 20 would exit 9 on --env-file)", async () => {
    const res = await run(bin, ["plan", "--dotenv", "missing.env"]);
    expect(res).toMatchObject({
      code: 2,
      stdout: "",
      stderr: "error: cannot read env file missing.env: no such file\n",
    });
    // The reason for the name: Node.js 20 reads --env-file itself, even after the script (nodejs/node#54232).
    const clash = await run(bin, ["plan", "--env-file", "missing.env"]);
    if (clash.code === 9) expect(clash.stderr).toContain("missing.env: not found");
    else expect(clash.code).toBe(2);
  });

  it("--json: bad usage is one JSON document on stdout and nothing on stderr", async () => {
    const res = await run(bin, ["plan", "--nope", "--json"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe("");
    expect(JSON.parse(res.stdout)).toEqual({
      command: "plan",
      exit_code: 2,
      errors: [{ name: "UsageError", message: "unknown option '--nope'" }],
    });
  });

  it("runs from any folder through a link to it (what npm link installs)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cli-link-"));
    symlinkSync(bin, path.join(dir, "channel-autoscaler"));
    const res = await run(
      path.join(dir, "channel-autoscaler"),
      ["validate", path.join(root, "examples/cli/bindings.json")],
      {},
      dir,
    );
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/bindings\.json: valid, 2 bindings/);
  });

  it("says to build first when the bundle is missing", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "cli-bin-"));
    mkdirSync(path.join(dir, "bin"));
    copyFileSync(bin, path.join(dir, "bin/channel-autoscaler.cjs"));
    const res = await run(path.join(dir, "bin/channel-autoscaler.cjs"), ["--help"]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/dist\/cli\/index\.js is missing; run npm run build first/);
  });
});
