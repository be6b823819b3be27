import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { main } from "../../src/cli/index";
import { type Emulator, envFor, startEmulator } from "../support/harness";

// Ctrl-C and SIGTERM in the middle of a sync: a real signal to the real CLI process, sent while the
// emulator holds the answer to the run's batch-disable, so it arrives mid-run whatever the machine's
// speed. The README's demo state: i-old is to be drained and removed, i-3 waits in a launch hook, and
// asg-api's binding runs after asg-web's.

const root = path.resolve(import.meta.dirname, "../..");
const example = (file: string) => path.join(root, "examples/cli", file);
const bindings = JSON.parse(readFileSync(example("bindings.json"), "utf8"));
/** The drain the run would wait if the interrupt did not cut it short. */
const DRAIN_SECONDS = 60;

let emu: Emulator;
let dir: string;
let envFile: string;
let bindingsFile: string;
beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(path.join(tmpdir(), "cli-interrupt-"));
  const { BINDINGS: _, ...env } = envFor(emu, [], {
    // A held answer must not time out while the test holds it.
    REQUEST_TIMEOUT_MS: "60000",
  });
  envFile = path.join(dir, "cloud.env");
  writeFileSync(
    envFile,
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
  );
  bindingsFile = path.join(dir, "bindings.json");
  writeFileSync(
    bindingsFile,
    JSON.stringify(bindings.map((b: object) => ({ ...b, drain_seconds: DRAIN_SECONDS }))),
  );
});
afterAll(async () => {
  await emu.close();
});
/** Children still running when a test ends (it failed): not left behind. */
const running = new Set<ChildProcessWithoutNullStreams>();
afterEach(() => {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
});
beforeEach(() => {
  emu.control.reset();
  emu.control.load(JSON.parse(readFileSync(example("emulator-state.json"), "utf8")));
  emu.control.setOptions({ memberQuota: 20 });
});

interface Child {
  process: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves once stderr holds `text`. */
  saidOnStderr: (text: string) => Promise<void>;
  exited: Promise<number | null>;
}

function startSync(extra: string[] = []): Child {
  const child = spawn(
    process.execPath,
    [
      path.join(root, "bin/channel-autoscaler.cjs"),
      "sync",
      "--dotenv",
      envFile,
      "--bindings",
      bindingsFile,
      ...extra,
    ],
    { cwd: dir, env: { PATH: process.env.PATH ?? "" } },
  );
  running.add(child);
  child.on("exit", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  const waiters: { text: string; resolve: () => void }[] = [];
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => {
    stderr += d;
    for (const w of waiters.filter((x) => stderr.includes(x.text))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  });
  return {
    process: child,
    stdout: () => stdout,
    stderr: () => stderr,
    saidOnStderr: (text) =>
      stderr.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve })),
    exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))),
  };
}

/** The report docs/cli.md's "Interrupting a run" shows, up to the command it prints. */
function readmeReport(): string {
  const doc = readFileSync(path.join(root, "docs/cli.md"), "utf8");
  const start = doc.indexOf("## Interrupting a run\n");
  expect(start, "docs/cli.md: Interrupting a run").toBeGreaterThan(-1);
  const section = doc.slice(start);
  return /```\n([\s\S]*?)```/.exec(section)![1]!;
}

const DISABLE = { method: "POST", path: "/vpc-channels/chan-web/members/batch-disable$" };

const webMembers = () =>
  emu.control
    .state()
    .gateways[0]!.channels.find((c) => c.id === "chan-web")!
    .members.filter((m) => m.member_group_name === "web");

describe("sync interrupted by a signal", () => {
  it.each(["SIGINT", "SIGTERM"] as const)(
    "%s: the write in flight finishes, nothing new starts, and it says what is left (exit 130)",
    async (signal) => {
      const dlFile = path.join(dir, `dead-letters-${signal}.json`);
      const child = startSync(["--dead-letter-file", dlFile]);
      emu.control.afterNextCall(DISABLE, async () => {
        child.process.kill(signal);
        await child.saidOnStderr(`${signal}: no new call starts`);
      });
      expect(await child.exited).toBe(130);

      // The disable that was in flight is done; the drain was cut short, so nothing was deleted, and
      // no call at all was sent after the signal: not the delete, not the hook's callback, not asg-api's reads.
      const calls = emu.control.calls();
      const disable = calls.findIndex((c) => c.path.endsWith("/batch-disable"));
      expect(disable).toBe(calls.length - 1);
      expect(calls.some((c) => c.method === "DELETE")).toBe(false);
      const old = webMembers().find((m) => m.ecs_id === "i-old")!;
      expect(old.status).toBe(2);
      expect(
        webMembers()
          .map((m) => m.ecs_id)
          .sort(),
      ).toEqual(["i-1", "i-2", "i-3", "i-old"]);
      expect(emu.control.state().scaling_groups[0]!.hanging.map((h) => h.instance_id)).toEqual(["i-3"]);

      const out = child.stdout();
      expect(out).toContain(
        [
          `Interrupted by ${signal}: no call was sent after it. Left to do:`,
          `  disabled, not deleted: member ${old.id} of ECS instance i-old (channel roma/roma-demo/chan-web, member group web)`,
          "  hook still waiting: ECS instance i-3 of scaling group asg-web",
          "  not started: asg-api → channel roma/roma-demo/chan-api, member group api",
        ].join("\n"),
      );
      // docs/cli.md's "Interrupting a run" shows this run's report (with SIGINT), as printed.
      const shown = readmeReport().replaceAll("SIGINT", signal);
      expect(out).toContain(shown.slice(0, shown.indexOf("\n  npx ")));
      expect(out).toContain("Interrupted: run sync again to finish (every run reads the whole state again):");
      expect(out).toContain(`The dead letters of this run are in ${dlFile}.`);
      // asg-api's section is not shown as "no changes": it was never read.
      expect(out.split("\n")).not.toContain("asg-api → channel roma/roma-demo/chan-api, member group api");

      // The hook's callback that was not sent is a dead letter that says so.
      const records = JSON.parse(readFileSync(dlFile, "utf8"));
      expect(
        records.map((r: { action: string; error: { code: string } }) => [r.action, r.error.code]),
      ).toEqual([["complete_hook", "INTERRUPTED"]]);
      expect(child.stderr()).toContain(`${signal === "SIGINT" ? "Ctrl-C" : signal} again to exit now`);
    },
  );

  it("a second Ctrl-C exits at once, without waiting for the call in flight", async () => {
    const child = startSync();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    emu.control.afterNextCall(DISABLE, async () => {
      child.process.kill("SIGINT");
      await child.saidOnStderr("SIGINT: no new call starts");
      child.process.kill("SIGINT");
      await held;
    });
    try {
      expect(await child.exited).toBe(130);
    } finally {
      release();
    }
    expect(child.stderr()).toContain("SIGINT again: exiting now, without the report");
    expect(child.stdout()).not.toContain("Left to do");
  });
});

describe("an interrupted run with --json", () => {
  it("prints its one document, with exit_code 130 and the signal, and nothing on stderr", async () => {
    const signals = new EventEmitter();
    let stdout = "";
    let stderr = "";
    emu.control.afterNextCall(DISABLE, () => {
      signals.emit("SIGTERM", "SIGTERM");
    });
    const code = await main(["sync", "--json", "--dotenv", envFile, "--bindings", bindingsFile], {
      env: {},
      cwd: dir,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s) },
      signals: signals as never,
    });
    expect(code).toBe(130);
    expect(stderr).toBe("");
    expect(JSON.parse(stdout)).toMatchObject({
      command: "sync",
      exit_code: 130,
      // One run for every binding with --json (no progress to batch for): none is left unstarted.
      interrupted: { signal: "SIGTERM", not_started: [], in_flight: [] },
    });
    expect(JSON.parse(stdout).dead_letters).toContainEqual(
      expect.objectContaining({
        action: "complete_hook",
        error: expect.objectContaining({ code: "INTERRUPTED" }),
      }),
    );
  });
});

describe("an interrupt gives the terminal back", () => {
  it("the progress bar's hidden cursor and line wrap are restored before the run winds down", async () => {
    let stderr = "";
    let stdout = "";
    const signals = new EventEmitter();
    const tty = {
      isTTY: true,
      columns: 100,
      write: (s: string) => {
        stderr += s;
        return true;
      },
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      clearScreenDown: () => true,
    };
    emu.control.afterNextCall(DISABLE, () => {
      // The bar is up: the cursor is hidden and lines do not wrap.
      expect(stderr).toContain("\u001b[?25l");
      expect(stderr).toContain("\u001b[?7l");
      signals.emit("SIGINT", "SIGINT");
    });
    const code = await main(["sync", "--dotenv", envFile, "--bindings", bindingsFile], {
      env: {},
      cwd: dir,
      stdout: { write: (s: string) => (stdout += s) },
      stderr: tty,
      signals: signals as never,
    });
    expect(code).toBe(130);
    const notice = stderr.indexOf("SIGINT: no new call starts");
    expect(notice).toBeGreaterThan(-1);
    expect(stderr.lastIndexOf("\u001b[?25h", notice)).toBeGreaterThan(stderr.indexOf("\u001b[?25l"));
    expect(stderr.lastIndexOf("\u001b[?7h", notice)).toBeGreaterThan(stderr.indexOf("\u001b[?7l"));
    expect(stdout).toContain("Interrupted by SIGINT");
  });
});
