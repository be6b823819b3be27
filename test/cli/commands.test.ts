import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "../support/cli";
import {
  type Binding,
  baseState,
  type Emulator,
  envFor,
  instance,
  members,
  romaChannel,
  romaInstance,
  startEmulator,
  webBinding,
  writes,
} from "../support/harness";

let emu: Emulator;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(path.join(tmpdir(), "cli-test-"));
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.control.reset();
});

const otherBinding: Binding = {
  scaling_group_id: "asg-2",
  instance_id: "roma-1",
  vpc_channel_id: "chan-1",
  member_group_name: "other",
  drain_seconds: 0,
};

/** Runs the CLI in this process with its own environment and captured output. */
const cli = (argv: string[], env: Record<string, string>) => runCli(argv, env, dir);

/** The emulator's environment without BINDINGS: the CLI gets them from a file. */
function envWithFile(bindings: Binding[], extra: Record<string, string> = {}) {
  const { BINDINGS, ...env } = envFor(emu, bindings, extra);
  writeFileSync(path.join(dir, "bindings.json"), BINDINGS!);
  return env;
}

const webMembers = () =>
  members(emu)
    .filter((m) => m.member_group_name === "web")
    .map((m) => m.ecs_id)
    .sort();

function load(extraWebMembers: unknown[] = []) {
  emu.control.load(
    baseState({
      instances: [instance("i-1"), instance("i-2"), instance("i-3", "INSERVICE", "ERROR")],
      instances2: [instance("b-1")],
      members: [
        { ecs_id: "foreign-1", ecs_name: "foreign-1", member_group_name: "other", weight: 3 },
        { ecs_id: "gone", ecs_name: "web-gone", member_group_name: "web" },
        ...extraWebMembers,
      ],
    }),
  );
}

describe("plan", () => {
  it("prints a table per binding of what a run would do, and writes nothing", async () => {
    load();
    const env = envWithFile([webBinding, otherBinding]);
    const res = await cli(["plan", "--bindings", "bindings.json"], env);
    expect(res.code).toBe(0);
    const lines = res.stdout.split("\n");
    expect(lines).toContain("asg-1 → channel roma/roma-1/chan-1, member group web");
    expect(lines).toContain("asg-2 → channel roma/roma-1/chan-1, member group other");
    expect(res.stdout).toMatch(/ {2}add +i-1 +- +-\n {2}add +i-2 +- +-\n/);
    expect(res.stdout).toMatch(/ {2}disable +gone +[0-9a-f]{32} +then wait drain_seconds \(0 s\)/);
    expect(res.stdout).toMatch(/ {2}delete +gone +[0-9a-f]{32} +after the drain/);
    // asg-2 owns the "other" group: b-1 joins it and foreign-1, which is no instance of asg-2, leaves.
    expect(res.stdout).toMatch(/ {2}add +b-1 +- +-\n {2}disable +foreign-1/);
    expect(res.stdout).toContain(
      "Plan: 3 to add, 0 to update, 2 to disable, 2 to remove, 0 hooks to complete; 0 unchanged (2 bindings, nothing written)",
    );
    expect(res.stdout).toMatch(/Calls: roma \d+, as \d+ \(0 writes\); retries 0, throttles 0/);
    expect(writes(emu)).toEqual([]);
    // The functions' JSON logs stay off the terminal by default.
    expect(res.stdout + res.stderr).not.toMatch(/"request_id"/);
    expect(res.stderr).toBe("");
  });

  it("--json prints one document: summary with the plan, dead letters, metrics", async () => {
    load();
    const res = await cli(["plan", "--json", "--bindings", "bindings.json"], envWithFile([webBinding]));
    expect(res.code).toBe(0);
    const doc = JSON.parse(res.stdout);
    expect(Object.keys(doc).sort()).toEqual(
      ["command", "dead_letters", "errors", "exit_code", "metrics", "request_ids", "summary"].sort(),
    );
    expect(doc).toMatchObject({
      command: "plan",
      exit_code: 0,
      dead_letters: [],
      errors: [],
      summary: { bindings: 1, dry_run: true, added: 0, dead_lettered: 0 },
      metrics: { invocations: 1, writes: 0, retries: 0, throttles: 0, members_changed: 0 },
    });
    expect(
      doc.summary.plan.map((e: { action: string; instance_id: string }) => `${e.action} ${e.instance_id}`),
    ).toEqual(["add i-1", "add i-2", "disable gone", "delete gone"]);
    expect(doc.metrics.calls.roma).toBeGreaterThan(0);
    expect(doc.request_ids).toHaveLength(1);
  });

  it("--group limits the plan to those scaling groups", async () => {
    load();
    const res = await cli(["plan", "--group", "asg-2"], envFor(emu, [webBinding, otherBinding]));
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("member group other");
    expect(res.stdout).not.toContain("member group web");
  });
});

describe("sync", () => {
  it("converges every binding, one progress line per batch off a terminal, then a repeat writes nothing", async () => {
    load();
    const env = envWithFile([webBinding, otherBinding]);
    const res = await cli(["sync", "--bindings", "bindings.json"], env);
    expect(res.code).toBe(0);
    expect(webMembers()).toEqual(["i-1", "i-2"]);
    expect(
      members(emu)
        .filter((m) => m.member_group_name === "other")
        .map((m) => m.ecs_id)
        .sort(),
    ).toEqual(["b-1"]);
    // Both bindings write to chan-1: one batch, so one invocation and one progress line.
    expect(res.stderr.trim().split("\n")).toEqual([
      "[2/2] asg-1 → roma/roma-1/chan-1/web, asg-2 → roma/roma-1/chan-1/other: 3 added, 0 updated, 2 disabled, 2 removed, 0 hooks completed, ok",
    ]);
    expect(res.stdout).toMatch(/add +i-1 +- +- +done/);
    expect(res.stdout).toContain("Done: 3 added, 0 updated, 2 disabled, 2 removed, 0 hooks completed");
    expect(res.stdout).toMatch(/\(\d+ writes\); retries 0, throttles 0; 5 members changed/);

    emu.control.clearCalls();
    const again = await cli(["sync", "--bindings", "bindings.json"], env);
    expect(again.code).toBe(0);
    expect(writes(emu)).toEqual([]);
    expect(again.stdout).toContain("no changes");
  });

  it("runs bindings on separate channels as separate batches, ticking after each", async () => {
    emu.control.load({
      ...baseState({ instances: [instance("i-1")], instances2: [instance("b-1")] }),
      gateways: romaInstance(["chan-1", "chan-2"].map((id) => romaChannel({ id, groups: ["web"] }))),
    });
    const env = envFor(emu, [
      webBinding,
      { ...webBinding, scaling_group_id: "asg-2", vpc_channel_id: "chan-2" },
    ]);
    const res = await cli(["sync"], env);
    expect(res.code).toBe(0);
    expect(res.stderr.trim().split("\n")).toEqual([
      "[1/2] asg-1 → roma/roma-1/chan-1/web: 1 added, 0 updated, 0 disabled, 0 removed, 0 hooks completed, ok",
      "[2/2] asg-2 → roma/roma-1/chan-2/web: 1 added, 0 updated, 0 disabled, 0 removed, 0 hooks completed, ok",
    ]);
    expect(members(emu, "roma-1", "chan-2").map((m) => m.ecs_id)).toEqual(["b-1"]);
  });

  it("exits 1 with the dead letters when the member quota is hit; replay converges once it is raised", async () => {
    emu.control.setOptions({ memberQuota: 2 });
    load();
    const env = envWithFile([webBinding]);
    const res = await cli(
      ["sync", "--bindings", "bindings.json", "--dead-letter-file", "out/dead-letters.json"],
      env,
    );
    expect(res.code).toBe(1);
    expect(res.stdout).toContain("Dead letters (1): not done; fix the cause, then replay them");
    expect(res.stdout).toContain("error: APIG.3110 HTTP 403");
    expect(res.stdout).toMatch(/fix: the channel's member quota is reached/);
    expect(res.stdout).toMatch(/add +i-1 +- +- +failed/);
    expect(res.stdout).toContain("Dead letters saved to out/dead-letters.json");
    const saved = JSON.parse(readFileSync(path.join(dir, "out/dead-letters.json"), "utf8"));
    expect(saved).toMatchObject([
      {
        dead_letter: true,
        action: "add_members",
        function: "channel-autoscaler-cli",
        instance_ids: ["i-1", "i-2"],
        error: { status: 403, code: "APIG.3110" },
        replay: { scaling_group_ids: ["asg-1"] },
      },
    ]);
    expect(webMembers()).toEqual([]);

    emu.control.setOptions({ memberQuota: 10 });
    const replay = await cli(["replay", "out/dead-letters.json", "--bindings", "bindings.json"], env);
    expect(replay.code).toBe(0);
    expect(replay.stdout).toMatch(
      /^Hosts: 127\.0\.0\.1:\d+ \(as, ecs, roma\)\nReplaying 1 dead letter from out\/dead-letters.json:\n {2}add_members +asg-1 +APIG.3110 403/,
    );
    expect(replay.stdout).toMatch(/add +i-1 +- +- +done/);
    expect(webMembers()).toEqual(["i-1", "i-2"]);
  });

  it("exits 1 when every binding failed for transient reasons, keeping the counts and dead letters", async () => {
    load();
    emu.control.addFault({ service: "gateway", status: 503, times: 0 });
    const res = await cli(["sync", "--json"], envFor(emu, [webBinding], { RETRY_MAX_ATTEMPTS: "2" }));
    expect(res.code).toBe(1);
    const doc = JSON.parse(res.stdout);
    expect(doc.errors[0].name).toBe("TransientFailureError");
    expect(doc.summary.bindings).toBe(1);
    expect(doc.dead_letters.map((d: { action: string }) => d.action)).toEqual(["read_members"]);
    expect(doc.metrics.retries).toBeGreaterThan(0);
  });

  it("takes counts, dead letters and figures from the runs themselves, whatever their log lines hold", async () => {
    // LOG_LEVEL=error leaves out the info-level run-summary line; the CLI reports the same all the same.
    load();
    const env = envFor(emu, [webBinding], { LOG_LEVEL: "error" });
    const done = JSON.parse((await cli(["sync", "--json"], env)).stdout);
    expect(done).toMatchObject({
      exit_code: 0,
      summary: { bindings: 1, added: 2, removed: 1, dead_lettered: 0 },
      metrics: { invocations: 1, retries: 0, members_changed: 3 },
    });
    expect(done.metrics.calls.roma).toBeGreaterThan(0);
    expect(done.metrics.writes).toBeGreaterThan(0);

    emu.control.addFault({ service: "gateway", status: 503, times: 0 });
    const failed = JSON.parse((await cli(["sync", "--json"], { ...env, RETRY_MAX_ATTEMPTS: "2" })).stdout);
    expect(failed).toMatchObject({ exit_code: 1, summary: { bindings: 1, dead_lettered: 1 } });
    expect(failed.errors[0].name).toBe("TransientFailureError");
    expect(failed.dead_letters.map((d: { action: string }) => d.action)).toEqual(["read_members"]);
    expect(failed.metrics).toMatchObject({ invocations: 1, retries: 1 });
  });
});

describe("backfill", () => {
  it("reconciles only the named groups (and bindings sharing their member group)", async () => {
    load();
    const res = await cli(["backfill", "--group", "asg-2"], envFor(emu, [webBinding, otherBinding]));
    expect(res.code).toBe(0);
    expect(webMembers()).toEqual(["gone"]);
    expect(members(emu).some((m) => m.ecs_id === "b-1")).toBe(true);
  });

  it("--dry-run writes nothing", async () => {
    load();
    const res = await cli(["backfill", "--group", "asg-1", "--dry-run"], envFor(emu, [webBinding]));
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("Plan: 2 to add");
    expect(writes(emu)).toEqual([]);
  });

  it("an unknown group is bad usage (2), named, and nothing is called", async () => {
    load();
    const res = await cli(["backfill", "--group", "asg-1", "nope"], envFor(emu, [webBinding]));
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      'error: unknown scaling group "nope": no binding names it (bound groups: asg-1)\n',
    );
    expect(emu.control.calls()).toEqual([]);
  });

  it("without --group is bad usage (2)", async () => {
    const res = await cli(["backfill"], envFor(emu, [webBinding]));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/required option '--group <id\.\.\.>' not specified/);
  });
});

describe("bad usage and bad configuration exit 2 before any call", () => {
  it("unknown command, unknown option, bad --timeout", async () => {
    const env = envFor(emu, [webBinding]);
    for (const argv of [["deploy"], ["plan", "--colour"], ["sync", "--timeout", "soon"], []]) {
      const res = await cli(argv, env);
      expect(res.code, argv.join(" ")).toBe(2);
      expect(res.stderr.length, argv.join(" ")).toBeGreaterThan(0);
    }
    expect(emu.control.calls()).toEqual([]);
  });

  it("--help and --version exit 0", async () => {
    const help = await cli(["--help"], {});
    expect(help.code).toBe(0);
    for (const cmd of ["plan", "sync", "backfill", "validate", "replay"]) expect(help.stdout).toContain(cmd);
    expect(help.stdout).toContain("Exit codes: 0");
    const planHelp = await cli(["plan", "--help"], {});
    expect(planHelp.stdout).toContain("--bindings <file>");
    expect((await cli(["--version"], {})).code).toBe(0);
  });

  it("a bad configuration lists every problem, credentials included", async () => {
    load();
    const {
      HUAWEICLOUD_SDK_AK: _ak,
      HUAWEICLOUD_SDK_PROJECT_ID: _p,
      ...env
    } = envFor(emu, [{ ...webBinding, weight: -1 }], {
      AS_ENDPOINT: "http://as.example.com",
    });
    const res = await cli(["sync"], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^error: Invalid configuration \(4 problems\):/);
    expect(res.stderr).toContain("BINDINGS[0].weight");
    expect(res.stderr).toContain("HUAWEICLOUD_SDK_PROJECT_ID: is required");
    expect(res.stderr).toContain("AS_ENDPOINT: must use https://");
    expect(res.stderr).toContain("HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK: no credentials");
    expect(emu.control.calls()).toEqual([]);
  });

  it("a bad configuration in --json mode is a JSON error document with the issues", async () => {
    const res = await cli(["plan", "--json"], { BINDINGS: "[" });
    expect(res.code).toBe(2);
    expect(res.stderr).toBe("");
    const doc = JSON.parse(res.stdout);
    expect(Object.keys(doc)).toEqual(["command", "exit_code", "errors"]);
    expect(doc).toMatchObject({ command: "plan", exit_code: 2, errors: [{ name: "ConfigError" }] });
    expect(doc.errors[0].issues.map((i: { path: string }) => i.path)).toContain("BINDINGS");
  });

  it("a missing --bindings or --dotenv file is named", async () => {
    const res = await cli(["plan", "--bindings", "missing.json"], {});
    expect(res).toMatchObject({
      code: 2,
      stderr: "error: cannot read bindings file missing.json: no such file\n",
    });
    const env = await cli(["plan", "--dotenv", "nope.env"], {});
    expect(env).toMatchObject({ code: 2, stderr: "error: cannot read env file nope.env: no such file\n" });
  });

  it("--dotenv supplies the configuration and overrides the environment; --env-file still works, with a warning", async () => {
    load();
    const fileEnv = envFor(emu, [webBinding]);
    writeFileSync(
      path.join(dir, "cli.env"),
      Object.entries(fileEnv)
        .filter(([k]) => k !== "BINDINGS")
        .map(([k, v]) => `${k}=${v}`)
        .join("\n"),
    );
    writeFileSync(path.join(dir, "web.json"), JSON.stringify([webBinding]));
    const res = await cli(["plan", "--dotenv", "cli.env", "--bindings", "web.json"], {
      HUAWEICLOUD_SDK_AK: "WRONG",
    });
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("Plan: 2 to add");
    expect(res.stderr).toBe("");
    // Node.js 20 reads --env-file itself (nodejs/node#54232); the old name works but says so.
    const old = await cli(["plan", "--env-file", "cli.env", "--bindings", "web.json"], {});
    expect(old.code).toBe(0);
    expect(old.stdout).toContain("Plan: 2 to add");
    expect(old.stderr).toBe(
      "warning: --env-file is also read by Node.js 20 itself (a missing file exits 9 before the CLI starts); use --dotenv\n",
    );
  });
});

describe("validate", () => {
  it("prints every problem of a bindings file and exits 2", async () => {
    writeFileSync(
      path.join(dir, "bad.json"),
      JSON.stringify([
        { ...webBinding, weight: 10001, colour: "red" },
        { ...webBinding, member_group_name: "1x" },
        { ...webBinding, scaling_group_id: "asg-9", weight: 5, drain_seconds: 9 },
      ]),
    );
    const res = await cli(["validate", "bad.json"], {});
    expect(res.code).toBe(2);
    expect(res.stdout.split("\n")).toEqual([
      "bad.json: 4 problems",
      "  - bad.json[0].weight: Too big: expected number to be <=10000",
      '  - bad.json[0]: Unrecognized key: "colour"',
      "  - bad.json[1].member_group_name: must be 3-64 characters starting with a letter (letters, digits, -, _, .)",
      "  - bad.json[2].drain_seconds: differs from binding 0, which names the same channel member group",
      "",
    ]);
  });

  it("accepts a good file (or BINDINGS), lists the bindings, and warns near the environment cap", async () => {
    writeFileSync(path.join(dir, "good.json"), JSON.stringify([webBinding, otherBinding], null, 2));
    const res = await cli(["validate", "--bindings", "good.json"], {});
    expect(res.code).toBe(0);
    expect(res.stdout).toContain("good.json: valid, 2 bindings (2 scaling groups, 1 channels)");
    expect(res.stdout).toMatch(/\n {2}1 +asg-2 +roma +roma-1 +chan-1 +other\n/);
    expect(res.stdout).toMatch(/\n {2}# +WEIGHT +SLOW START +PORT +STANDBY +DRAIN +HEALTHY TIMEOUT\n/);
    expect(res.stdout).toMatch(/\n {2}1 +1 +0 s +- +no +0 s +300 s\n/);

    const many = Array.from({ length: 30 }, (_, i) => ({ ...webBinding, scaling_group_id: `asg-${i}` }));
    const big = await cli(["validate", "--json"], { BINDINGS: JSON.stringify(many) });
    expect(big.code).toBe(0);
    const doc = JSON.parse(big.stdout);
    expect(doc).toMatchObject({
      command: "validate",
      valid: true,
      source: "BINDINGS",
      bindings: 30,
      issues: [],
    });
    expect(doc.warnings[0]).toMatch(/^BINDINGS is \d+ characters as compact JSON; FunctionGraph caps/);
  });

  it("with an environment that reaches the cloud, reads each bound channel once and warns about a member group with a member_group_weight", async () => {
    emu.control.load({
      ...baseState(),
      gateways: romaInstance([
        {
          ...romaChannel(),
          member_groups: [
            { member_group_name: "web", member_group_weight: 5 },
            { member_group_name: "other" },
          ],
        },
        romaChannel({ id: "chan-2", groups: ["web"] }),
      ]),
    });
    const env = envWithFile([
      { ...webBinding, weight: 10, slow_start_seconds: 300 },
      otherBinding,
      { ...webBinding, scaling_group_id: "asg-3", vpc_channel_id: "chan-2" },
    ]);
    emu.control.clearCalls();
    const res = await cli(["validate", "bindings.json"], env);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      "warning: roma/roma-1/chan-1: member group web has member_group_weight 5: the gateway assigns its members' weights from it, overriding the binding's weight and slow_start_seconds; remove the group weight\n",
    );
    expect(res.stdout.match(/member_group_weight \d/g)).toHaveLength(1);
    expect(emu.control.calls().map((c) => `${c.method} ${c.path.split("/").at(-1)}`)).toEqual([
      "GET chan-1",
      "GET chan-2",
    ]);
    const doc = JSON.parse((await cli(["validate", "bindings.json", "--json"], env)).stdout);
    expect(doc).toMatchObject({ valid: true, channels_checked: true });
    expect(doc.warnings).toEqual([
      expect.stringMatching(/^roma\/roma-1\/chan-1: member group web has member_group_weight 5/),
    ]);

    // Without a way to the cloud it says what is missing, and reads nothing.
    writeFileSync(path.join(dir, "offline.json"), JSON.stringify([webBinding]));
    const offline = await cli(["validate", "offline.json"], {});
    expect(offline.code).toBe(0);
    expect(offline.stdout).toMatch(
      /channels not read for member groups with a member_group_weight; the environment lacks:\n .*HUAWEICLOUD_SDK_PROJECT_ID/,
    );
    expect(JSON.parse((await cli(["validate", "offline.json", "--json"], {})).stdout).channels_checked).toBe(
      false,
    );
  });

  it("--json lists issues by path; nothing to validate is bad usage", async () => {
    const res = await cli(["validate", "--json"], { BINDINGS: "[{}]" });
    expect(res.code).toBe(2);
    const doc = JSON.parse(res.stdout);
    expect(doc.valid).toBe(false);
    expect(doc.issues.map((i: { path: string }) => i.path)).toEqual([
      "BINDINGS[0].scaling_group_id",
      "BINDINGS[0].instance_id",
      "BINDINGS[0].vpc_channel_id",
      "BINDINGS[0].member_group_name",
    ]);
    const none = await cli(["validate"], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/nothing to validate/);
  });
});

describe("replay", () => {
  it("reads dead letters out of a function log (JSON lines) and re-runs their groups only", async () => {
    load();
    const record = {
      dead_letter: true,
      version: 1,
      time: "2026-11-22T01:00:00.000Z",
      request_id: "7c307f6a",
      function: "channel-autoscaler-scaling-events",
      action: "add_members",
      binding: {
        scaling_group_id: "asg-1",
        instance_id: "roma-1",
        vpc_channel_id: "chan-1",
        member_group_name: "web",
      },
      instance_ids: ["i-1"],
      error: { status: 500, code: "APIG.9999", message: "System error" },
      attempts: 5,
      replay: { scaling_group_ids: ["asg-1"] },
    };
    writeFileSync(
      path.join(dir, "function.log"),
      `{"level":"info","msg":"run started","action":"start"}\n${JSON.stringify(record)}\n`,
    );
    const res = await cli(["replay", "function.log"], envFor(emu, [webBinding, otherBinding]));
    expect(res.code).toBe(0);
    expect(webMembers()).toEqual(["i-1", "i-2"]);
    // asg-2's binding was not part of the replay.
    expect(members(emu).some((m) => m.ecs_id === "b-1")).toBe(false);
  });

  it("a file without dead letters, or naming a group no binding has, exits 2", async () => {
    writeFileSync(path.join(dir, "empty.json"), "[]");
    const empty = await cli(["replay", "empty.json"], envFor(emu, [webBinding]));
    expect(empty.code).toBe(2);
    expect(empty.stderr).toMatch(/empty.json holds no dead-letter record/);
    writeFileSync(
      path.join(dir, "stale.json"),
      JSON.stringify({
        dead_letter: true,
        action: "read_members",
        binding: null,
        instance_ids: [],
        error: { status: 404, code: "APIG.3023", message: "gone" },
        replay: { scaling_group_ids: ["asg-old"] },
      }),
    );
    const stale = await cli(["replay", "stale.json"], envFor(emu, [webBinding]));
    expect(stale.code).toBe(2);
    expect(stale.stderr).toMatch(/unknown scaling group "asg-old"/);
    expect(emu.control.calls()).toEqual([]);
  });
});

describe("logs", () => {
  it("--verbose shows the JSON log lines on stderr; --log-file keeps them, each with request_id, action and binding", async () => {
    load();
    const env = envFor(emu, [webBinding]);
    const verbose = await cli(["plan", "--verbose"], env);
    expect(verbose.code).toBe(0);
    expect(verbose.stderr).toMatch(/^\{"time":".*"action":"start"/m);

    const res = await cli(["sync", "--log-file", "logs/run.jsonl"], env);
    expect(res.code).toBe(0);
    const lines = readFileSync(path.join(dir, "logs/run.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.every((l) => typeof l.request_id === "string" && typeof l.action === "string")).toBe(true);
    const key = "asg-1@roma/roma-1/chan-1/web";
    expect(lines.find((l) => l.action === "add_members")).toMatchObject({
      binding: key,
      instance_ids: ["i-1", "i-2"],
    });
    expect(lines.find((l) => l.action === "disable_members")).toMatchObject({ binding: key });
    expect(lines.find((l) => l.action === "delete_members")).toMatchObject({
      binding: key,
      instance_ids: ["gone"],
    });
    const summary = lines.find((l) => l.action === "summary");
    expect(summary).toMatchObject({ dead_letters: 0, members_changed: 3, retries: 0, throttles: 0 });
    expect(Object.keys(summary!)).toEqual(expect.arrayContaining(["calls", "writes", "duration_ms"]));
    expect(JSON.stringify(lines)).not.toContain("EMULATORSK");
  });
});
