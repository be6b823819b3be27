/**
 * What the CLI prints of cloud data and dead-letter files has no control characters (a member's name
 * must not clear the operator's screen), in text and in --json (issue 14).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  cleanStrings,
  credentialsIn,
  escapeControlsInJson,
  MAX_CLEAN_DEPTH,
  printable,
  printableText,
  scrubberOf,
  scrubbingStream,
} from "../../src/cli/safe-output";
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

describe("printableText", () => {
  it("keeps the line breaks of text of several lines, and cleans each line", () => {
    expect(printableText("a\tb\nc\r\nd\u001b[2J")).toBe("a b\nc\nd[2J");
  });
});

describe("cleanStrings, beyond plain data", () => {
  class Point {
    constructor(readonly label: string) {}
  }

  it("keeps what is not a plain object or array as it is, at any depth", () => {
    const when = new Date(0);
    const point = new Point(EVIL);
    const cleaned = cleanStrings({ when, point, n: 1, yes: true, none: undefined, nil: null }, printable);
    expect(cleaned.when).toBe(when);
    expect(cleaned.point).toBe(point);
    expect(cleaned).toEqual({ when, point, n: 1, yes: true, none: undefined, nil: null });
    let deep: unknown = point;
    for (let i = 0; i < MAX_CLEAN_DEPTH; i++) deep = { a: deep };
    let d = cleanStrings(deep, printable) as { a: unknown };
    for (let i = 1; i < MAX_CLEAN_DEPTH; i++) d = d.a as { a: unknown };
    expect(d.a).toBe(point);
  });

  it("walks an object without a prototype, and makes an ordinary copy", () => {
    const bare = Object.assign(Object.create(null), { name: EVIL });
    const cleaned = cleanStrings({ bare }, printable);
    expect(cleaned.bare).toEqual({ name: "web-[2J[H31mevil " });
    cleaned.bare.name = "changed";
    delete cleaned.bare.name;
    expect(cleaned.bare).toEqual({});
  });
});

describe("the credentials the CLI scrubs from what it prints", () => {
  const env = {
    HUAWEICLOUD_SDK_AK: "AKVALUE0123456789",
    HUAWEICLOUD_SDK_SK: "SKVALUEabcdefghijklmnop",
    HUAWEICLOUD_SDK_SECURITY_TOKEN: "",
    HUAWEICLOUD_SDK_PROJECT_ID: "project-0123456789",
  };

  it("are the access key, secret key and token the environment holds, set or not", () => {
    expect(credentialsIn(env)).toEqual(["AKVALUE0123456789", "SKVALUEabcdefghijklmnop"]);
    expect(credentialsIn({ ...env, HUAWEICLOUD_SDK_SECURITY_TOKEN: "TOKENVALUE0123456789" })).toHaveLength(3);
    expect(credentialsIn({})).toEqual([]);
    expect(
      scrubberOf(env)("ak AKVALUE0123456789 sk SKVALUEabcdefghijklmnop project project-0123456789"),
    ).toBe("ak [REDACTED] sk [REDACTED] project project-0123456789");
  });

  it("are scrubbed from text written to a stream, which is otherwise the same stream", () => {
    class Terminal {
      #columns = 80;
      written: unknown[] = [];
      isTTY = true;
      write(chunk: unknown) {
        this.written.push(chunk);
        return true;
      }
      get width() {
        return this.#columns;
      }
      resize(columns: number) {
        this.#columns = columns;
        return this;
      }
    }
    const terminal = new Terminal();
    const out = scrubbingStream(terminal, env);
    const bytes = Buffer.from("raw");
    out.write("key=AKVALUE0123456789\n");
    out.write(bytes as unknown as string);
    expect(terminal.written).toEqual(["key=[REDACTED]\n", bytes]);
    expect(terminal.written[1]).toBe(bytes);
    expect(out.isTTY).toBe(true);
    expect(out.resize(120)).toBe(terminal);
    expect(out.width).toBe(120);
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

  it("from a dead-letter file nested a million levels deep, or holding __proto__ keys: read to a bound", async () => {
    const record = {
      dead_letter: true,
      version: 1,
      time: "2026-11-22T01:00:00Z",
      action: "add_members",
      binding: { ...webBinding, gateway: "roma" },
      instance_ids: ["i-1"],
      error: { status: 500, code: "APIG.9999", message: "System error" },
      attempts: 5,
      replay: { scaling_group_ids: ["asg-1"] },
    };
    const deepText = (inner: string, levels: number) => `${"[".repeat(levels)}${inner}${"]".repeat(levels)}`;
    // Records buried a million arrays deep are no records; one beside them still is.
    writeFileSync(path.join(dir, "buried.json"), `[${deepText(JSON.stringify(record), 1_000_000)}]`);
    writeFileSync(
      path.join(dir, "deep-detail.json"),
      `[${JSON.stringify(record).slice(0, -1)},"detail":{"__proto__":{"dead_letter":false},"trace":${deepText('"x"', 1_000_000)}}}]`,
    );
    const env = envFor(emu, [webBinding]);
    const buried = await cli(["replay", "buried.json", "--dry-run"], env);
    expect(buried.code).toBe(2);
    expect(buried.stderr).toContain("holds no dead-letter record");
    const deep = await cli(["replay", "deep-detail.json", "--dry-run", "--json"], env);
    expect(deep.code).toBe(0);
    expect(JSON.parse(deep.stdout).summary).toMatchObject({ dry_run: true, bindings: 1 });
    const text = await cli(["replay", "deep-detail.json", "--dry-run"], env);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Replaying 1 dead letter from deep-detail.json/);
  });

  it("cleanStrings stops at its depth limit and keeps a __proto__ key a field", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    const cleaned = cleanStrings({ deep, ...JSON.parse('{"__proto__": {"polluted": "yes"}}') }, printable);
    let d = (cleaned as { deep: unknown }).deep;
    let levels = 1;
    while (typeof d === "object" && d !== null) {
      d = (d as { a: unknown }).a;
      levels += 1;
    }
    // The marker as a reader of the output sees it.
    expect(d).toBe("[too deep]");
    expect(levels).toBe(MAX_CLEAN_DEPTH);
    expect(Object.keys(cleaned as object)).toEqual(["deep", "__proto__"]);
    expect((cleaned as { polluted?: string }).polluted).toBeUndefined();
  });

  describe("from tag discovery", () => {
    const QUERY = "/scaling_group_tag/resource_instances/action$";
    const tagEnv = () => {
      const { BINDINGS: _, ...rest } = envFor(emu, [], {
        BINDINGS_FROM_TAGS: "true",
        TAG_BINDINGS_ALLOWED: "roma:roma-1/*",
        RETRY_MAX_ATTEMPTS: "1",
      });
      return rest;
    };
    const page = (tags: { key: string; value: string }[]) => ({
      resources: [{ resource_id: "asg-1", resource_name: EVIL, tags }],
      total_count: 1,
    });
    const refused = { error: { code: "AS.0011", message: `no permission ${EVIL}` } };

    it("a tag value a server made up: validate, plan and their JSON", async () => {
      emu.control.addFault({
        method: "POST",
        path: QUERY,
        times: 0,
        status: 200,
        body: page([
          { key: "channel-autoscaler-channel", value: "chan-1" },
          { key: "channel-autoscaler-instance", value: "roma-1" },
          { key: "channel-autoscaler-member-group", value: "web" },
          { key: "channel-autoscaler-weight", value: EVIL },
          { key: `channel-autoscaler-${EVIL}`, value: "1" },
        ]),
      });
      const outs = [
        await cli(["validate"], tagEnv()),
        await cli(["validate", "--json"], tagEnv()),
        await cli(["plan"], tagEnv()),
        await cli(["plan", "--json", "--verbose"], tagEnv()),
      ];
      expect(outs[0]!.stdout).toContain(
        'tag channel-autoscaler-weight "web-[2J[H31mevil ": must be at most 43 characters',
      );
      for (const out of outs) {
        expect(out.stdout).not.toMatch(TERMINAL_CONTROL);
        expect(out.stderr).not.toMatch(TERMINAL_CONTROL);
      }
    });

    it("a cloud error message, when discovery fails before the run and within it", async () => {
      emu.control.addFault({ method: "POST", path: QUERY, times: 0, status: 403, body: refused });
      const before = [await cli(["validate"], tagEnv()), await cli(["plan"], tagEnv())];
      for (const out of before) {
        expect(out.code).toBe(1);
        expect(out.stderr).toContain("no permission web-[2J[H31mevil");
        expect(out.stderr).not.toMatch(TERMINAL_CONTROL);
      }
      emu.control.clearFaults();
      // The CLI discovers once to list the bindings, and the run discovers again: that one fails.
      emu.control.afterNextCall({ method: "POST", path: QUERY }, () => {
        emu.control.addFault({ method: "POST", path: QUERY, times: 0, status: 403, body: refused });
      });
      const within = await cli(["plan"], tagEnv());
      expect(within.code).toBe(1);
      expect(within.stdout).toContain("error: tag discovery failed (AS.0011: ");
      expect(within.stdout).not.toMatch(TERMINAL_CONTROL);
    });
  });
});
