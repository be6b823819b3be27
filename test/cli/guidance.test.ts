import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
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
  startEmulator,
  webBinding,
  writes,
} from "../support/harness";

// What the CLI tells a user when something is wrong, and whether what it says to run next runs
// (issue 15: "plan must not claim no changes for a binding it could not read", hints that work).

let emu: Emulator;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(path.join(tmpdir(), "cli-guidance-"));
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.control.reset();
});

const cli = (argv: string[], env: Record<string, string>) => runCli(argv, env, dir);

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Writes the emulator's settings as an env file and the bindings as a JSON file, as a user would. */
function files(bindings: Binding[], extra: Record<string, string> = {}) {
  const { BINDINGS, ...env } = envFor(emu, bindings, extra);
  writeFileSync(
    path.join(dir, "cli.env"),
    Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
  );
  writeFileSync(path.join(dir, "bindings.json"), BINDINGS!);
}

const FILES = ["--dotenv", "cli.env", "--bindings", "bindings.json"];

function load(webMembers: unknown[] = [{ ecs_id: "gone", ecs_name: "web-gone", member_group_name: "web" }]) {
  emu.control.load(
    baseState({
      instances: [instance("i-1"), instance("i-2")],
      members: [
        { ecs_id: "foreign-1", ecs_name: "foreign-1", member_group_name: "other", weight: 3 },
        ...webMembers,
      ],
    }),
  );
}

describe("plan never says 'no changes' for a binding it could not read", () => {
  it("a wrong endpoint: each binding 'not read' with the host and operation, counted, and what to run next", async () => {
    load();
    const port = await closedPort();
    const endpoint = `http://127.0.0.1:${port}`;
    files([webBinding, { ...webBinding, scaling_group_id: "asg-2", member_group_name: "other" }], {
      ROMA_ENDPOINT: endpoint,
      RETRY_MAX_ATTEMPTS: "1",
    });
    const res = await cli(["plan", ...FILES], {});
    expect(res.code).toBe(1);
    expect(res.stdout).not.toContain("no changes");
    expect(res.stdout).toContain(
      [
        "asg-1 → channel roma/roma-1/chan-1, member group web",
        `  not read: NETWORK_ERROR: listMembers: ECONNREFUSED 127.0.0.1:${port}`,
        // Nothing answers on a loopback address: the emulator is asked about first.
        `  fix: nothing answers at 127.0.0.1:${port}: is the emulator running there (npm run emulator -- --port ${port})? Else check the *_ENDPOINT values`,
        "",
        "asg-2 → channel roma/roma-1/chan-1, member group other",
        `  not read: NETWORK_ERROR: listMembers: ECONNREFUSED 127.0.0.1:${port}`,
      ].join("\n"),
    );
    expect(res.stdout).toContain(
      "Plan: 0 to add, 0 to update, 0 to disable, 0 to remove, 0 hooks to complete; 0 unchanged, 2 bindings not read (2 bindings, nothing written)",
    );
    // The functions leave a transient failure to the platform's retry; the CLI says what to run.
    expect(res.stdout).not.toContain("platform's retry");
    expect(res.stdout).toContain(
      "error: no binding could be reconciled: 2 failed for transient reasons (network errors, timeouts, throttling or server errors)",
    );
    expect(res.stdout).toMatch(
      /\nFix the cause, then plan again:\n {2}npx channel-autoscaler plan --dotenv cli\.env --bindings bindings\.json\n$/,
    );
    // The reads are shown in their sections, not listed again as dead letters to replay.
    expect(res.stdout).not.toContain("Dead letters");
    expect(res.stdout).not.toContain("replay");
  });

  it("a wrong SK (APIG.1002), a missing AS group (AS.2007) and a missing channel (APIG.3023), next to a binding that reads", async () => {
    load();
    const bindings = [
      webBinding,
      { ...webBinding, scaling_group_id: "asg-gone" },
      { ...webBinding, scaling_group_id: "asg-2", vpc_channel_id: "chan-gone" },
    ];
    files(bindings);
    const res = await cli(["plan", ...FILES], {});
    expect(res.code).toBe(1);
    const lines = res.stdout.split("\n");
    expect(lines).toContain("asg-1 + asg-gone → channel roma/roma-1/chan-1, member group web");
    expect(lines).toContain("  not read: AS.2007: listGroupInstances: The AS group does not exist.");
    expect(lines).toContain("  fix: the AS group does not exist: check scaling_group_id and region");
    expect(lines).toContain("asg-2 → channel roma/roma-1/chan-gone, member group web");
    expect(lines.find((l) => l.startsWith("  not read: APIG.3023: "))).toMatch(
      /The VPC channel does not exist/,
    );
    expect(res.stdout).toContain("; 0 unchanged, 3 bindings not read (3 bindings, nothing written)");
    expect(writes(emu)).toEqual([]);

    files([webBinding, { ...webBinding, scaling_group_id: "asg-2", vpc_channel_id: "chan-gone" }], {
      HUAWEICLOUD_SDK_SK: "WRONG",
    });
    const sk = await cli(["plan", ...FILES], {});
    expect(sk.code).toBe(1);
    expect(sk.stdout).toContain(
      "  not read: APIG.1002: listMembers: Incorrect token or token resolution failed\n  fix: the signature or credentials were refused",
    );
    expect(sk.stdout).toContain("0 unchanged, 2 bindings not read (2 bindings, nothing written)");
  });

  it("one binding not read, one read: only the first is 'not read', and the totals say 1", async () => {
    load();
    files([webBinding, { ...webBinding, scaling_group_id: "asg-2", vpc_channel_id: "chan-gone" }]);
    const res = await cli(["plan", ...FILES], {});
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(/member group web\n {2}ACTION/);
    expect(res.stdout).toContain(
      "Plan: 2 to add, 0 to update, 1 to disable, 1 to remove, 0 hooks to complete; 0 unchanged, 1 binding not read (2 bindings, nothing written)",
    );
  });

  it("a wrong project id (APIG.1005) points at the project id as well as the policy", async () => {
    load();
    files([webBinding], { HUAWEICLOUD_SDK_PROJECT_ID: "proj-other" });
    const res = await cli(["plan", ...FILES], {});
    expect(res.code).toBe(1);
    expect(res.stdout).toContain("  not read: APIG.1005: listMembers: No permissions to request this method");
    expect(res.stdout).toMatch(
      /fix: no permission for this gateway API in this project: check that HUAWEICLOUD_SDK_PROJECT_ID is the project of the region the gateway is in, then the agency's custom policy/,
    );
  });

  it("--json keeps the exit code and holds the dead letters of the reads", async () => {
    load();
    files([{ ...webBinding, vpc_channel_id: "chan-gone" }]);
    const res = await cli(["plan", "--json", ...FILES], {});
    expect(res.code).toBe(1);
    expect(res.stderr).toBe("");
    const doc = JSON.parse(res.stdout);
    expect(doc).toMatchObject({ command: "plan", exit_code: 1, errors: [] });
    expect(
      doc.dead_letters.map((d: { action: string; error: { code: string } }) => `${d.action} ${d.error.code}`),
    ).toEqual(["read_members APIG.3023"]);
  });
});

describe("plan and backfill --dry-run say what changes, and agree", () => {
  it("plan shows old → new values of changed fields", async () => {
    load([{ ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web", weight: 1 }]);
    files([{ ...webBinding, weight: 10, standby: true }]);
    const res = await cli(["plan", ...FILES], {});
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/ {2}update +i-1 +[0-9a-f]{32} +weight 1 → 10, is_backup false → true\n/);
    const doc = JSON.parse((await cli(["plan", "--json", ...FILES], {})).stdout);
    expect(doc.summary.plan.find((e: { action: string }) => e.action === "update")).toMatchObject({
      changes: ["weight", "is_backup"],
      from: { weight: 1, is_backup: false },
      to: { weight: 10, is_backup: true },
    });
  });

  it("backfill --dry-run's progress line counts what its plan counts", async () => {
    load();
    files([webBinding]);
    const res = await cli(["backfill", "--group", "asg-1", "--dry-run", ...FILES], {});
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      "Plan: 2 to add, 0 to update, 1 to disable, 1 to remove, 0 hooks to complete",
    );
    expect(res.stderr).toBe(
      "[1/1] asg-1 → roma/roma-1/chan-1/web: 2 to add, 0 to update, 1 to disable, 1 to remove, 0 hooks to complete, ok\n",
    );
    expect(writes(emu)).toEqual([]);
  });

  it("plan offers no --dead-letter-file: it writes nothing, so it has nothing to replay", async () => {
    files([webBinding]);
    const res = await cli(["plan", "--dead-letter-file", "x.json", ...FILES], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("unknown option '--dead-letter-file'");
    const help = await cli(["plan", "--help"], {});
    expect(help.stdout).not.toContain("--dead-letter-file");
    expect(help.stdout).toContain("--dotenv <file>");
    expect(help.stdout).not.toContain("--env-file");
  });
});

describe("hints that run as printed", () => {
  it("after a sync with dead letters, the replay command carries --dotenv and --bindings, and runs", async () => {
    emu.control.setOptions({ memberQuota: 2 });
    load();
    files([webBinding]);
    const res = await cli(["sync", ...FILES, "--dead-letter-file", "out/dead-letters.json"], {});
    expect(res.code).toBe(1);
    const hint = res.stdout.match(/Once the cause is fixed, replay them:\n {2}(.+)\n$/);
    expect(hint?.[1]).toBe(
      "npx channel-autoscaler replay out/dead-letters.json --dotenv cli.env --bindings bindings.json",
    );
    emu.control.setOptions({ memberQuota: 10 });
    const [npx, bin, ...args] = hint![1]!.split(" ");
    expect(`${npx} ${bin}`).toBe("npx channel-autoscaler");
    // Run from the same folder with nothing in the environment: the printed words are all it needs.
    const replay = await cli(args, {});
    expect(replay.code).toBe(0);
    expect(
      members(emu)
        .map((m) => m.ecs_id)
        .sort(),
    ).toEqual(["foreign-1", "i-1", "i-2"]);
  });

  it("a file name with a space is quoted, so the printed command still runs; --env-file comes back as --dotenv", async () => {
    load();
    files([webBinding], { HUAWEICLOUD_SDK_SK: "WRONG" });
    writeFileSync(path.join(dir, "my bindings.json"), readFileSync(path.join(dir, "bindings.json")));
    const res = await cli(["plan", "--env-file", "cli.env", "--bindings", "my bindings.json"], {});
    expect(res.code).toBe(1);
    expect(res.stdout).toMatch(
      /\nFix the cause, then plan again:\n {2}npx channel-autoscaler plan --dotenv cli\.env --bindings 'my bindings\.json'\n$/,
    );
  });

  it("without --dead-letter-file, it prints the same command to run again", async () => {
    emu.control.setOptions({ memberQuota: 2 });
    load();
    files([webBinding]);
    const res = await cli(["sync", ...FILES], {});
    emu.control.setOptions({ memberQuota: 10 });
    expect(res.code).toBe(1);
    expect(res.stdout).toContain(
      "Once the cause is fixed, run the same command again (every run reads the whole state again):\n" +
        "  npx channel-autoscaler sync --dotenv cli.env --bindings bindings.json\n" +
        "or add --dead-letter-file <file> to save the dead letters and replay only them.\n",
    );
  });

  it("missing BINDINGS says --bindings <file>; missing credentials name the variables, not an agency", async () => {
    const { BINDINGS: _b, HUAWEICLOUD_SDK_AK: _ak, HUAWEICLOUD_SDK_SK: _sk, ...env } = envFor(emu, []);
    const res = await cli(["plan"], env);
    expect(res.code).toBe(2);
    expect(res.stderr).toBe(
      "error: Invalid configuration (2 problems):\n" +
        "  - BINDINGS: is required: pass --bindings <file> (a JSON array of bindings, or terraform.tfvars.json), or set BINDINGS, or BINDINGS_FROM_TAGS=true\n" +
        "  - HUAWEICLOUD_SDK_AK/HUAWEICLOUD_SDK_SK: no credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (an IAM user's access key), in the environment or the --dotenv file\n",
    );
    expect(emu.control.calls()).toEqual([]);
  });
});

describe("--json: one shape for every exit", () => {
  it("usage, file, configuration, validation and run results all carry command, exit_code and errors", async () => {
    load();
    files([webBinding]);
    const cases: { argv: string[]; code: number; command: string | null; error?: string }[] = [
      { argv: ["plan", "--colour"], code: 2, command: "plan", error: "UsageError" },
      { argv: ["deploy"], code: 2, command: null, error: "UsageError" },
      { argv: [], code: 2, command: null, error: "UsageError" },
      { argv: ["sync", "--timeout", "soon"], code: 2, command: "sync", error: "UsageError" },
      { argv: ["plan", "--dotenv", "nope.env"], code: 2, command: "plan", error: "UsageError" },
      { argv: ["plan"], code: 2, command: "plan", error: "ConfigError" },
      { argv: ["validate", "missing.json"], code: 2, command: "validate", error: "UsageError" },
      { argv: ["plan", ...FILES], code: 0, command: "plan" },
      { argv: ["validate", "bindings.json"], code: 0, command: "validate" },
    ];
    for (const c of cases) {
      const res = await cli([...c.argv, "--json"], {});
      const label = c.argv.join(" ") || "(no command)";
      expect(res.code, label).toBe(c.code);
      expect(res.stderr, label).toBe("");
      const doc = JSON.parse(res.stdout);
      expect(doc, label).toMatchObject({ command: c.command, exit_code: c.code });
      expect(
        doc.errors.map((e: { name: string }) => e.name),
        label,
      ).toEqual(c.error ? [c.error] : []);
      for (const e of doc.errors) expect(e.message, label).toEqual(expect.any(String));
    }
  });

  it("a bad bindings file under validate --json is an error with the issues too", async () => {
    writeFileSync(path.join(dir, "typo.json"), JSON.stringify([{ ...webBinding, member_grup_name: "x" }]));
    const res = await cli(["validate", "typo.json", "--json"], {});
    expect(res.code).toBe(2);
    const doc = JSON.parse(res.stdout);
    expect(doc).toMatchObject({ command: "validate", exit_code: 2, valid: false });
    expect(doc.errors[0]).toMatchObject({ name: "ConfigError" });
    expect(doc.errors[0].issues).toEqual(doc.issues);
  });
});

describe("bindings mistakes said in words", () => {
  it("a misspelt field suggests the nearest one, in bindings and in health_check", async () => {
    writeFileSync(
      path.join(dir, "typo.json"),
      JSON.stringify([
        {
          scaling_group_id: "asg-1",
          instance_id: "roma-1",
          vpc_channel_id: "chan-1",
          member_grup_name: "web",
          weigth: 3,
          colour: "red",
          health_check: {
            protocol: "TCP",
            threshold_normal: 1,
            threshold_abnormal: 1,
            time_interval: 10,
            timout: 3,
          },
        },
      ]),
    );
    const res = await cli(["validate", "typo.json"], {});
    expect(res.code).toBe(2);
    expect(res.stdout).toContain(
      '  - typo.json[0]: Unrecognized keys: "member_grup_name", "weigth", "colour" ("member_grup_name": did you mean "member_group_name"?; "weigth": did you mean "weight"?)',
    );
    expect(res.stdout).toContain(
      '  - typo.json[0].health_check: Unrecognized key: "timout"; did you mean "timeout"?',
    );
    writeFileSync(path.join(dir, "one.json"), JSON.stringify([{ ...webBinding, member_grup_name: "web" }]));
    expect((await cli(["validate", "one.json"], {})).stdout).toContain(
      'typo.json[0]: Unrecognized key: "member_grup_name"; did you mean "member_group_name"?'.replace(
        "typo",
        "one",
      ),
    );
  });

  it("a bindings object instead of an array says so", async () => {
    writeFileSync(path.join(dir, "object.json"), JSON.stringify(webBinding));
    const res = await cli(["validate", "object.json"], {});
    expect(res.code).toBe(2);
    expect(res.stdout).toBe(
      "object.json: 1 problem\n" +
        "  - object.json: must be a JSON array of bindings, but it is a single object: put the binding in [ ] ([{...}], or [{...}, {...}] for several)\n",
    );
  });
});

describe("smaller things an operator trips on", () => {
  it("sync with nothing answering: one closing error that counts every binding, and a hint that asks about the emulator", async () => {
    load();
    const port = await closedPort();
    // Two channels: two runs, each failing as a whole.
    files([webBinding, { ...webBinding, scaling_group_id: "asg-2", vpc_channel_id: "chan-2" }], {
      ROMA_ENDPOINT: `http://127.0.0.1:${port}`,
      RETRY_MAX_ATTEMPTS: "1",
    });
    const res = await cli(["sync", ...FILES], {});
    expect(res.code).toBe(1);
    const closing = res.stdout.split("\n").filter((l) => l.startsWith("error: "));
    expect(closing).toEqual([
      "error: no binding could be reconciled: 2 failed for transient reasons (network errors, timeouts, throttling or server errors)",
    ]);
    expect(res.stdout).toContain(`is the emulator running there (npm run emulator -- --port ${port})?`);
  });

  it("a --dead-letter-file left by an earlier run is emptied by a clean run, which says so", async () => {
    load();
    files([webBinding]);
    const stale = [{ dead_letter: true, action: "add_members", replay: { scaling_group_ids: ["asg-1"] } }];
    writeFileSync(path.join(dir, "old-dead-letters.json"), JSON.stringify(stale));
    const res = await cli(["sync", ...FILES, "--dead-letter-file", "old-dead-letters.json"], {});
    expect(res.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(dir, "old-dead-letters.json"), "utf8"))).toEqual([]);
    expect(res.stdout).toContain(
      "No dead letters: old-dead-letters.json now holds none (it held an earlier run's).",
    );
  });

  it("plan --dry-run is said to be needless, not unknown, and plans as usual", async () => {
    load();
    files([webBinding]);
    const res = await cli(["plan", "--dry-run", ...FILES], {});
    expect(res.code).toBe(0);
    expect(res.stderr).toBe("note: plan is always a dry run (it writes nothing); --dry-run is not needed\n");
    expect(res.stdout).toContain("Plan: 2 to add");
    expect(writes(emu)).toEqual([]);
  });

  it("plan --bindings <file> names the file in its problems, not BINDINGS", async () => {
    files([]);
    writeFileSync(path.join(dir, "bindings.json"), JSON.stringify([{ ...webBinding, weight: -1 }]));
    const res = await cli(["plan", ...FILES], {});
    expect(res.code).toBe(2);
    expect(res.stderr).toContain("  - bindings.json[0].weight: Too small: expected number to be >=0\n");
    expect(res.stderr).not.toContain("BINDINGS[0]");
  });

  it("every command's --help ends with examples", async () => {
    for (const command of ["plan", "sync", "backfill", "validate", "replay"]) {
      const help = await cli([command, "--help"], {});
      expect(help.code).toBe(0);
      expect(help.stdout, command).toMatch(
        new RegExp(`\\nExamples:\\n {2}npx channel-autoscaler ${command} `),
      );
    }
    expect((await cli(["sync", "--help"], {})).stdout).toContain("exits 130; Ctrl-C again exits at once");
  });
});
