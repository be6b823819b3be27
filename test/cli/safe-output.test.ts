/**
 * What the CLI prints of cloud data and dead-letter files has no control characters (a member's name
 * must not clear the operator's screen), in text and in --json (issue 14).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cleanStrings, escapeControlsInJson, printable } from "../../src/cli/safe-output";
import { runCli } from "../support/cli";
import { baseState, type Emulator, envFor, instance, startEmulator, webBinding } from "../support/harness";

/** Anything a terminal acts on: C0 but newline and tab, DEL, C1, bidi overrides. */
const TERMINAL_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const EVIL = "web-\u001b[2J\u001b[H\u009b31m\u202eevil\r\n";

describe("printable and escapeControlsInJson", () => {
  it("strip controls from one line of data, keeping its words apart", () => {
    expect(printable(EVIL)).toBe("web-[2J[H31mevil ");
    expect(printable("a\tb\nc")).toBe("a b c");
  });

  it("leave JSON the same value, with no raw control left", () => {
    const json = JSON.stringify({ name: EVIL });
    const escaped = escapeControlsInJson(json);
    expect(escaped).not.toMatch(TERMINAL_CONTROL);
    expect(JSON.parse(escaped)).toEqual({ name: EVIL });
  });

  it("cleanStrings walks plain objects and arrays, keys included", () => {
    expect(cleanStrings({ [EVIL]: [EVIL, 1, null, { x: EVIL }] }, printable)).toEqual({
      "web-[2J[H31mevil ": ["web-[2J[H31mevil ", 1, null, { x: "web-[2J[H31mevil " }],
    });
  });
});

let emu: Emulator;
let dir: string;
beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(path.join(tmpdir(), "cli-safe-"));
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.control.reset();
  emu.control.load(baseState({ instances: [instance("i-1")] }));
});

const cli = (argv: string[], env: Record<string, string>) => runCli(argv, env, dir);

describe("the CLI prints no control character it was handed", () => {
  it("from the cloud: a stray member whose instance id and name hold escape sequences", async () => {
    emu.control.addFault({
      method: "GET",
      path: "/members$",
      times: 0,
      status: 200,
      body: {
        total: 1,
        size: 1,
        members: [
          {
            id: "0123456789abcdef0123456789abcdef",
            host: "10.0.0.9",
            weight: 1,
            is_backup: false,
            member_group_name: "web",
            status: 1,
            ecs_id: EVIL,
            ecs_name: EVIL,
          },
        ],
      },
    });
    const env = envFor(emu, [webBinding]);
    const text = await cli(["plan"], env);
    const json = await cli(["plan", "--json", "--verbose"], env);
    expect(text.stdout).toContain("web-[2J[H31mevil");
    for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) {
      expect(out).not.toMatch(TERMINAL_CONTROL);
    }
  });

  it("from a dead-letter file: the replay preface and the errors", async () => {
    const record = {
      dead_letter: true,
      version: 1,
      time: `2026-11-22T01:00:00Z${EVIL}`,
      action: `add_members${EVIL}`,
      binding: { ...webBinding, gateway: "roma" },
      instance_ids: ["i-1"],
      error: { status: 500, code: `APIG.9999${EVIL}`, message: EVIL },
      attempts: 5,
      replay: { scaling_group_ids: ["asg-1"] },
    };
    writeFileSync(path.join(dir, "dl.json"), JSON.stringify([record]));
    writeFileSync(
      path.join(dir, "bad.json"),
      JSON.stringify([{ ...record, [EVIL]: 1, binding: { [EVIL]: 2 } }]),
    );
    const env = envFor(emu, [webBinding]);
    const replay = await cli(["replay", "dl.json", "--dry-run"], env);
    expect(replay.stdout).toContain("add_members");
    const bad = await cli(["replay", "bad.json"], env);
    expect(bad.code).toBe(2);
    const badJson = await cli(["replay", "bad.json", "--json"], env);
    for (const out of [replay.stdout, replay.stderr, bad.stdout, bad.stderr, badJson.stdout]) {
      expect(out).not.toMatch(TERMINAL_CONTROL);
    }
    expect(readFileSync(path.join(dir, "dl.json"), "utf8")).toContain("\\u001b");
  });
});
