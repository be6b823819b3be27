/**
 * Hostile and broken servers (issue 14), through the built bundles against the emulator, in one
 * invocation with three bindings: a members page of 300 MB, a members listing that never ends, and a
 * text 401 that echoes the request's headers with a 1,216-character security token. The invocation runs
 * in a child process of its own so its peak memory is its own. Nothing here depends on speed: the huge
 * body is streamed by the emulator only as fast as the client reads it, and no assertion is on time.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Fault, StateInput } from "../emulator";
import {
  type Binding,
  baseState,
  type Emulator,
  envFor,
  instance,
  invoke,
  romaChannel,
  romaInstance,
  smnEvent,
  startEmulator,
  timerEvent,
  webBinding,
} from "../support/harness";
import { DEAD_LETTER_TOPIC, findCredentialFragment, LONG_TOKEN, topicMessages } from "./support";

const root = path.resolve(import.meta.dirname, "../..");
const AK = "HOSTILEAK0123456789X";
const SK = "hostileSkValue0123456789abcdefghijABCDEF";
const SECRETS = [AK, SK, LONG_TOKEN];
const MB = 1024 * 1024;
const ATTEMPTS = 3;

const binding = (name: string): Binding => ({
  scaling_group_id: `asg-${name}`,
  instance_id: "roma-1",
  vpc_channel_id: `chan-${name}`,
  member_group_name: "web",
  drain_seconds: 0,
});
const BINDINGS = [binding("huge"), binding("endless"), binding("echo")];

function state(): StateInput {
  return {
    gateways: romaInstance(BINDINGS.map((b) => romaChannel({ id: b.vpc_channel_id, groups: ["web"] }))),
    scaling_groups: BINDINGS.map((b) => ({
      scaling_group_id: b.scaling_group_id,
      scaling_group_name: b.scaling_group_id,
      instances: [
        {
          instance_id: `i-${b.scaling_group_id}`,
          instance_name: "web",
          life_cycle_state: "INSERVICE",
          health_status: "NORMAL",
        },
      ],
    })),
    topics: [{ topic_urn: DEAD_LETTER_TOPIC }],
  } as StateInput;
}

const FAULTS: Fault[] = [
  { method: "GET", path: "/vpc-channels/chan-huge/members$", hugeBody: 300 * MB, times: 0 },
  { method: "GET", path: "/vpc-channels/chan-endless/members$", endlessPaging: true, times: 0 },
  { method: "GET", path: "/vpc-channels/chan-echo/members$", echoHeaders: true, status: 401, times: 0 },
];

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ credentials: [{ ak: AK, sk: SK, securityToken: LONG_TOKEN }] });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.control.reset();
  emu.control.load(state());
  emu.control.addFault(FAULTS);
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  const {
    HUAWEICLOUD_SDK_AK: _a,
    HUAWEICLOUD_SDK_SK: _s,
    ...rest
  } = envFor(emu, BINDINGS, {
    DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC,
    LOG_LEVEL: "debug",
    RETRY_MAX_ATTEMPTS: String(ATTEMPTS),
    ...extra,
  });
  return rest;
}

async function child(args: string[], childEnv: Record<string, string>) {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, {
      env: { PATH: process.env.PATH ?? "", ...childEnv },
      cwd: root,
      maxBuffer: 256 * MB,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

const membersCalls = (channel: string) =>
  emu.control.calls().filter((c) => c.method === "GET" && c.path.endsWith(`/${channel}/members`));

function expectNoFragment(output: string) {
  expect(findCredentialFragment(output, SECRETS)).toBeUndefined();
}

describe("a 300 MB answer, an endless listing and a token echoed in a text 401, in one invocation", () => {
  it("the reconcile bundle stays under 256 MB, resolves, dead-letters each binding once, leaks nothing", async () => {
    const { stdout, stderr } = await child([path.join(import.meta.dirname, "bundle-child.mjs")], {
      BUNDLE_CHILD_INPUT: JSON.stringify({
        bundle: path.join(root, "dist/reconcile/index.js"),
        event: timerEvent(),
        env: env(),
        credentials: { ak: AK, sk: SK, token: LONG_TOKEN },
        // Far more than the run needs: running out of it would show as DEADLINE_EXCEEDED dead letters.
        remainingMs: 600_000,
      }),
    });
    const lines = stdout.split("\n").filter(Boolean);
    const result = JSON.parse(lines.at(-1)!).bundle_child as {
      summary: { dead_lettered: number } | null;
      error: Record<string, string> | null;
      max_rss_kb: number;
    };
    expect(result.error).toBeNull();
    expect(result.summary?.dead_lettered).toBe(3);
    expect(result.max_rss_kb).toBeLessThanOrEqual(256 * 1024);
    console.log(`peak RSS of the invocation: ${Math.round(result.max_rss_kb / 1024)} MB`);

    const deadLetters = lines
      .map((l) => {
        try {
          return JSON.parse(l) as Record<string, unknown>;
        } catch {
          return {};
        }
      })
      .filter((l) => l.dead_letter === true) as unknown as Array<{
      binding: { scaling_group_id: string };
      error: { code: string; message: string };
      attempts: number;
    }>;
    const byGroup = (id: string) => deadLetters.filter((d) => d.binding.scaling_group_id === id);
    expect(deadLetters).toHaveLength(3);
    expect(byGroup("asg-huge")).toMatchObject([
      { error: { code: "RESPONSE_TOO_LARGE" }, attempts: ATTEMPTS },
    ]);
    expect(byGroup("asg-endless")).toMatchObject([{ error: { code: "PAGING_INCONSISTENT" } }]);
    expect(byGroup("asg-echo")).toMatchObject([{ error: { code: "HTTP_401" } }]);
    // The 401 did echo the token: what is left of it is the redaction mark, and the message is short.
    expect(byGroup("asg-echo")[0]!.error.message).toContain("[REDACTED]");
    for (const d of deadLetters) expect(d.error.message.length).toBeLessThan(600);

    // Retried, then given up: one connection per attempt, each dropped at the cap.
    expect(membersCalls("chan-huge")).toHaveLength(ATTEMPTS);
    // The endless listing stops at its second page (the same id again, and a total that grew).
    expect(membersCalls("chan-endless")).toHaveLength(2);

    const smn = topicMessages(emu);
    expect(smn).toHaveLength(3);
    expectNoFragment(
      [stdout, stderr, JSON.stringify(result), ...smn.map((m) => `${m.subject} ${m.message}`)].join("\n"),
    );
  });

  it("the CLI prints none of the token either: text, --json, --verbose, --log-file, --dead-letter-file", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "hostile-"));
    const cliEnv = {
      ...env(),
      HUAWEICLOUD_SDK_AK: AK,
      HUAWEICLOUD_SDK_SK: SK,
      HUAWEICLOUD_SDK_SECURITY_TOKEN: LONG_TOKEN,
    };
    const bin = path.join(root, "bin/channel-autoscaler.cjs");
    const text = await child([bin, "sync", "--verbose"], cliEnv);
    const logFile = path.join(dir, "log.jsonl");
    const deadLetterFile = path.join(dir, "dead-letters.json");
    const json = await child(
      [bin, "sync", "--json", "--log-file", logFile, "--dead-letter-file", deadLetterFile],
      cliEnv,
    );
    expect(text.code).toBe(1);
    expect(json.code).toBe(1);
    expect(text.stdout).toMatch(/RESPONSE_TOO_LARGE/);
    expect(text.stdout).toMatch(/PAGING_INCONSISTENT/);
    const report = JSON.parse(json.stdout) as { dead_letters: Array<{ error: { code: string } }> };
    expect(report.dead_letters.map((d) => d.error.code).sort()).toEqual([
      "HTTP_401",
      "PAGING_INCONSISTENT",
      "RESPONSE_TOO_LARGE",
    ]);
    const files = [readFileSync(logFile, "utf8"), readFileSync(deadLetterFile, "utf8")];
    expect(files[1]).toContain("[REDACTED]");
    expectNoFragment(
      [
        text.stdout,
        text.stderr,
        json.stdout,
        json.stderr,
        ...files,
        ...topicMessages(emu).map((m) => `${m.subject} ${m.message}`),
      ].join("\n"),
    );
  });
});

describe("ids from the cloud are checked before they go into a path", () => {
  it("a listed member with id `..` is never deleted as `/members/..` (the channel's URL)", async () => {
    emu.control.reset();
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    const dotDot = {
      id: "..",
      host: "10.0.0.9",
      weight: 1,
      is_backup: false,
      member_group_name: "web",
      // Already disabled: the run goes straight to the delete.
      status: 2,
      ecs_id: "gone-1",
      ecs_name: "gone-1",
    };
    // Every read of the group's members lists the stray member with id "..".
    emu.control.addFault({
      method: "GET",
      path: "/members$",
      times: 0,
      status: 200,
      body: { total: 1, members: [dotDot] },
    });
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: { ...envFor(emu, [webBinding]), HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK },
      credentials: { ak: AK, sk: SK, token: LONG_TOKEN },
    });
    const deletes = emu.control.calls().filter((c) => c.method === "DELETE");
    expect(deletes.filter((c) => !/\/members\/[0-9a-f]{32}$/.test(c.path))).toEqual([]);
    expect(emu.control.state().gateways[0]!.channels.map((c) => c.id)).toContain("chan-1");
    const invalid = inv.deadLetters.filter(
      (d) => (d.error as { code: string }).code === "INVALID_ID",
    ) as Array<{ error: { message: string }; instance_ids: string[] }>;
    expect(invalid).toHaveLength(1);
    expect(invalid[0]!.error.message).toContain('member id ".."');
  });
});
