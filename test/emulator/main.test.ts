import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";

// The emulator started on its own, as README says (`npm run emulator -- …`): usage instead of a stack
// trace, and nothing left listening once it is stopped, whichever PID the user kills (issue 15).

const root = path.resolve(import.meta.dirname, "../..");
const started: ChildProcess[] = [];

afterEach(() => {
  // Each run has its own process group: whatever a failed test left behind goes with it.
  for (const child of started.splice(0)) {
    try {
      process.kill(-child.pid!, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

function npmEmulator(args: string[]): ChildProcess {
  const child = spawn("npm", ["run", "--silent", "emulator", "--", ...args], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  return child;
}

function tsxEmulator(args: string[]): ChildProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "test/emulator/main.ts", ...args], {
    cwd: root,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  return child;
}

function finished(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** The URL and PID the emulator prints once it listens. */
function announced(child: ChildProcess): Promise<{ url: string; pid: number }> {
  let out = "";
  return new Promise((resolve, reject) => {
    child.stdout!.on("data", (d) => {
      out += d;
      const m = out.match(/^(http:\/\/127\.0\.0\.1:\d+)\npid (\d+): stop with Ctrl-C or kill \2\n/m);
      if (m) resolve({ url: m[1]!, pid: Number(m[2]) });
    });
    child.on("close", (code) => reject(new Error(`emulator exited ${code} before listening: ${out}`)));
  });
}

function listening(url: string): Promise<boolean> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Polls until nothing listens on the URL's port (the test's own timeout bounds the wait). */
async function untilClosed(url: string): Promise<void> {
  while (await listening(url)) await new Promise((r) => setTimeout(r, 100));
}

describe("npm run emulator", () => {
  it("--help prints usage and exits 0; a bad option prints the error and usage, exit 2, no stack trace", async () => {
    const help = await finished(npmEmulator(["--help"]));
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run emulator -- \[options\]/);
    expect(help.stdout).toContain("--state <file>");
    // The control API, with the call the README's walkthrough makes.
    expect(help.stdout).toContain("GET    /options");
    expect(help.stdout).toContain(`curl -X POST <url>/_emulator/options -d '{"memberQuota": 20}'`);

    // The entry itself (what npm runs), without npm's start-up time.
    const bad = await finished(tsxEmulator(["--nope"]));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^error: Unknown option '--nope'\n\nUsage: npm run emulator/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);

    const port = await finished(tsxEmulator(["--port", "many"]));
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/^error: --port must be a whole number from 0 to 65535, not "many"/);
  }, 60_000);

  it.each([
    ["the npm process (a shell's $! for a background job)", "launcher"],
    ["the printed PID", "printed"],
    ["Ctrl-C (SIGINT to the whole foreground group)", "group"],
  ])(
    "stopped through %s, it leaves nothing listening",
    async (_name, how) => {
      const child = npmEmulator(["--port", "0", "--state", "examples/cli/emulator-state.json"]);
      const { url, pid } = await announced(child);
      expect(await listening(url)).toBe(true);
      const state = await fetch(`${url}/_emulator/state`).then((r) => r.json());
      expect(state.gateways[0].instance_id).toBe("roma-demo");
      if (how === "launcher") process.kill(child.pid!, "SIGTERM");
      else if (how === "printed") process.kill(pid, "SIGTERM");
      else process.kill(-child.pid!, "SIGINT");
      await untilClosed(url);
      // The server process itself is gone too, not just its socket.
      await expect.poll(() => alive(pid), { timeout: 30_000, interval: 100 }).toBe(false);
    },
    60_000,
  );
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (exited, not yet reaped by its new parent) has no socket and runs no code.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}
