import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Emulator, startEmulator } from "../support/harness";

// README's "Try the CLI against the emulator", run as written: each command of its shell blocks, in
// order, through the built bin, and what it prints compared with what README shows. Only the port is
// moved off 4010 (other runs on this machine may hold it), in the env file and the curl URL alike.

const root = path.resolve(import.meta.dirname, "../..");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, title).toBeGreaterThan(-1);
  const end = readme.slice(start + 4).search(/\n## /);
  return readme.slice(start, end === -1 ? undefined : start + 4 + end);
}

/** The fenced blocks of a section, with their info string. */
function blocks(text: string): { lang: string; body: string }[] {
  return [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, body: m[2]! }));
}

let emu: Emulator;
let dir: string;
let envFile: string;
let dlFile: string;
/** README's words for paths and port, and what this run uses instead. */
let moved: [string, string][];

beforeAll(async () => {
  emu = await startEmulator();
  emu.control.load(JSON.parse(readFileSync(path.join(root, "examples/cli/emulator-state.json"), "utf8")));
  dir = mkdtempSync(path.join(tmpdir(), "cli-walkthrough-"));
  envFile = path.join(dir, "emulator.env");
  dlFile = path.join(dir, "dead-letters.json");
  const port = new URL(emu.url).port;
  writeFileSync(
    envFile,
    readFileSync(path.join(root, "examples/cli/emulator.env"), "utf8").replaceAll(
      "127.0.0.1:4010",
      `127.0.0.1:${port}`,
    ),
  );
  moved = [
    ["examples/cli/emulator.env", envFile],
    [".tmp/dead-letters.json", dlFile],
    ["127.0.0.1:4010", `127.0.0.1:${port}`],
  ];
});
afterAll(async () => {
  await emu.close();
});

const move = (text: string) => moved.reduce((t, [from, to]) => t.replaceAll(from, to), text);

async function bin(args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(root, "bin/channel-autoscaler.cjs"), ...args],
      { cwd: root, env: { PATH: process.env.PATH ?? "" } },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** Runs one README command line; returns what it printed (and its exit code). */
async function runLine(line: string): Promise<{ code: number; stdout: string } | undefined> {
  if (/^npm (ci|run build|run emulator)\b/.test(line)) return undefined; // done by the test run / beforeAll
  if (line.startsWith("echo ")) return undefined;
  const curl = line.match(/^curl -X POST (\S+) -d '(.*)'$/);
  if (curl) {
    const res = await fetch(move(curl[1]!), { method: "POST", body: curl[2]! });
    return { code: res.ok ? 0 : 1, stdout: "" };
  }
  const words = move(line).split(/\s+/);
  expect(words.slice(0, 2), line).toEqual(["npx", "channel-autoscaler"]);
  return bin(words.slice(2));
}

/** Lines README shows of an output, without its elisions ("…") and the time of the Calls line. */
function shownLines(output: string): string[] {
  return move(output)
    .split("\n")
    .filter((l) => l.trim() !== "" && !l.includes("…"));
}

const timeless = (text: string) => text.replace(/; \d+\.\d s( over \d+ runs)?$/m, "; <time>");

describe("README: Try the CLI against the emulator", () => {
  it("prints what README shows, with the exit codes it says", async () => {
    const walk = blocks(section("Try the CLI against the emulator"));
    const commands = walk.filter((b) => b.lang === "sh");
    // The outputs it shows, in order: the plan, then what the sync prints.
    const [planShown = "", syncOutput = ""] = walk.filter((b) => b.lang === "").map((b) => b.body);
    expect(planShown, "README: the plan's output").toMatch(/^Hosts: /);
    expect(syncOutput, "README: the sync's output").toMatch(/^Dead letters \(/);

    const lines = (b: { body: string }) =>
      b.body
        .replace(/\\\n\s*/g, "")
        .split("\n")
        .filter((l) => l.trim() !== "");
    const [start, inspect, apply, fix] = commands.map(lines);
    expect(start).toEqual([
      "npm ci && npm run build",
      "npm run emulator -- --port 4010 --state examples/cli/emulator-state.json",
    ]);

    const [validate, plan] = inspect!;
    expect((await runLine(validate!))!.code).toBe(0);
    const planned = (await runLine(plan!))!;
    expect(planned.code).toBe(0);
    expect(timeless(planned.stdout)).toBe(timeless(move(planShown)));

    const [sync, echo] = apply!;
    expect(echo).toBe('echo "exit $?"');
    const synced = (await runLine(sync!))!;
    expect(synced.code, "README: the exit code is 1").toBe(1);
    const out = synced.stdout.split("\n");
    for (const line of shownLines(syncOutput)) expect(out, line).toContain(line);

    // The replay command README runs is the one the sync printed.
    const [curl, replay, planAgain] = fix!;
    expect(synced.stdout).toContain(`  ${move(replay!)}\n`);
    expect((await runLine(curl!))!.code).toBe(0);
    expect((await runLine(replay!))!.code, "README: exit code 0").toBe(0);
    const after = (await runLine(planAgain!))!;
    expect(after.code).toBe(0);
    expect(after.stdout).toContain(
      "asg-web → channel roma/roma-demo/chan-web, member group web\n  no changes\n\nasg-api → channel roma/roma-demo/chan-api, member group api\n  no changes\n",
    );
  });
});
