/**
 * The retry policy, the invocation deadline, the done-equivalent error codes and the client-side rate
 * limit, observed from outside: built bundles against the emulator, asserting on its call log, its
 * final state and the dead letters the function wrote.
 */
import { createServer } from "node:net";
import { beforeEach, describe, expect, it } from "vitest";
import type { StateInput } from "../emulator";
import { emulatorForFile } from "../support/emulator-for-file";
import {
  type Binding,
  baseState,
  envFor,
  instance,
  invoke,
  members,
  romaChannel,
  romaInstance,
  smnEvent,
  timerEvent,
  webBinding,
  writes,
} from "../support/harness";
import {
  DEAD_LETTER_TOPIC,
  expectDeadLetterShape,
  groupMembers,
  hanging,
  richBinding,
  richState,
  stackLines,
  topicMessages,
} from "./support";

const emu = await emulatorForFile();
beforeEach(() => {
  emu.control.reset();
});

/** `n` channels on roma-1, one AS group each (asg-k → chan-k, group web), each with instances to add. */
function manyChannels(n: number, instancesEach = 2): { state: StateInput; bindings: Binding[] } {
  const ids = Array.from({ length: n }, (_, k) => k + 1);
  return {
    state: {
      gateways: romaInstance(
        ids.map((k) =>
          romaChannel({
            id: `chan-${k}`,
            groups: ["web"],
            members: [{ ecs_id: `keep-${k}`, ecs_name: `keep-${k}`, member_group_name: "web" }],
          }),
        ),
      ),
      scaling_groups: ids.map((k) => ({
        scaling_group_id: `asg-${k}`,
        instances: [
          instance(`keep-${k}`),
          ...Array.from({ length: instancesEach }, (_, j) => instance(`i-${k}-${j}`)),
        ] as never,
      })),
      topics: [{ topic_urn: DEAD_LETTER_TOPIC }],
    },
    bindings: ids.map((k) => ({
      ...webBinding,
      scaling_group_id: `asg-${k}`,
      vpc_channel_id: `chan-${k}`,
    })),
  };
}

describe("deadline: the invocation settles, with its summary and dead letters, before the platform's timeout", () => {
  it("every call hangs: returns within the remaining time, dead letters logged and published, then throws for the retry", async () => {
    const { state, bindings } = manyChannels(3);
    emu.control.load(state);
    emu.control.addFault({ method: "GET", path: "/members$", hang: true, times: 0 });
    // A budget of seconds, not milliseconds: its safety margin (a fifth of it) must absorb a busy
    // machine's scheduling delays, since the test asserts the wall clock.
    const budget = 4_000;
    const started = Date.now();
    const inv = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, bindings, { DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC, REQUEST_TIMEOUT_MS: "10000" }),
      remainingMs: budget,
    });
    const elapsed = Date.now() - started;
    expect(elapsed).toBeLessThan(budget);
    // Nothing could be reconciled, and only for transient reasons: the platform's async retry takes over.
    expect(inv.error?.name).toBe("TransientFailureError");
    expect(inv.logs.some((l) => l.action === "summary")).toBe(true);
    // One record per action that could not be done: reading the members (a channel whose members
    // could not be read does not read its groups at all).
    const got = inv.deadLetters.map((d) => `${d.action} ${(d.binding as Binding).scaling_group_id}`).sort();
    expect(got).toEqual(["read_members asg-1", "read_members asg-2", "read_members asg-3"]);
    for (const d of inv.deadLetters) expect(expectDeadLetterShape(d)).toEqual([]);
    expect(inv.deadLetters.filter((d) => d.action === "read_members").map((d) => d.error)).toEqual(
      Array(3).fill(expect.objectContaining({ code: "REQUEST_TIMEOUT", status: null })),
    );
    // Every record also reached the dead-letter topic before the invocation ended.
    expect(
      topicMessages(emu)
        .map((m) => JSON.parse(m.message))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual([...inv.deadLetters].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))));
    expect(writes(emu).filter((c) => !c.path.includes("/publish"))).toEqual([]);
  });

  it("slow API: the work that fits is done, the rest is dead-lettered and published in time", async () => {
    // 20 channels, 100 ms a call, one at a time: each channel takes ~4 calls (~400 ms), and the work may
    // use 3.2 s of the 4 s budget: about 8 channels are written, the rest dead-lettered. A busy machine
    // shifts that count, never the outcome (some written, some dead-lettered, all replayable).
    const { state, bindings } = manyChannels(20);
    emu.control.load(state);
    emu.control.setOptions({ latencyMs: 100 });
    const budget = 4_000;
    const started = Date.now();
    const inv = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, bindings, { DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC, MAX_CONCURRENCY: "1" }),
      remainingMs: budget,
    });
    expect(Date.now() - started).toBeLessThan(budget);
    // Some bindings were reconciled, so the invocation resolves with its summary.
    expect(inv.error).toBeUndefined();
    expect(inv.summary!.added).toBeGreaterThan(0);
    expect(inv.summary!.dead_lettered).toBeGreaterThan(0);
    expect(inv.summary!.dead_lettered).toBe(inv.deadLetters.length);
    for (const d of inv.deadLetters)
      expect(["DEADLINE_EXCEEDED", "REQUEST_TIMEOUT"]).toContain((d.error as { code: string }).code);
    expect(topicMessages(emu)).toHaveLength(inv.deadLetters.length);
    // Replaying every dead letter's payload (one backfill with all their groups) finishes the job.
    emu.control.setOptions({ latencyMs: 0 });
    const groups = [
      ...new Set(
        inv.deadLetters.flatMap((d) => (d.replay as { scaling_group_ids: string[] }).scaling_group_ids),
      ),
    ];
    const replay = await invoke("backfill", { scaling_group_ids: groups }, { env: envFor(emu, bindings) });
    expect(replay.deadLetters).toEqual([]);
    for (let k = 1; k <= 20; k++) {
      expect(
        groupMembers(emu, "web", "roma-1", `chan-${k}`)
          .map((m) => m.ecs_id)
          .sort(),
      ).toEqual([`i-${k}-0`, `i-${k}-1`, `keep-${k}`]);
    }
  });

  it("waiting for the rate limit never outlasts the deadline: 60 dead letters at once, default limit of 20/s", async () => {
    // 60 channels whose member reads all hang until the time is up (or never start): 60 dead letters
    // arrive at once, and the SMN bucket holds 20 calls a second.
    const { state, bindings } = manyChannels(60);
    emu.control.load(state);
    emu.control.addFault({ method: "GET", path: "/members$", hang: true, times: 0 });
    const { API_RATE_LIMIT: _default, ...env } = envFor(emu, bindings, {
      DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC,
      MAX_CONCURRENCY: "32",
      REQUEST_TIMEOUT_MS: "10000",
    });
    const budget = 4_000;
    const started = Date.now();
    const inv = await invoke("reconcile", timerEvent(), { env, remainingMs: budget });
    expect(Date.now() - started).toBeLessThan(budget);
    expect(inv.error?.name).toBe("TransientFailureError");
    expect(inv.logs.some((l) => l.action === "summary")).toBe(true);
    expect(inv.deadLetters).toHaveLength(60);
    // Delivery to the topic is at-least-once. Each record ends in exactly one of: published (SMN
    // answered 2xx), refused (SMN answered an error), unconfirmed (no answer before the deadline: it
    // may have reached the topic all the same, so the topic can hold a few more than `published`).
    // The last two are logged next to the record on stdout, so no record is lost either way.
    const channelOf = (record: object) =>
      (record as { binding: { vpc_channel_id: string } | null }).binding?.vpc_channel_id;
    const notDelivered = inv.logs.filter((l) => l.action === "publish_dead_letter");
    const summary = inv.logs.find((l) => l.action === "summary")!;
    const delivery = summary.dead_letter_delivery as {
      published: number;
      refused: number;
      unconfirmed: number;
    };
    expect(delivery.published + delivery.refused + delivery.unconfirmed).toBe(60);
    expect(notDelivered).toHaveLength(delivery.refused + delivery.unconfirmed);
    expect(notDelivered.every((l) => l.delivery === "unconfirmed" || l.delivery === "refused")).toBe(true);
    const onTopic = topicMessages(emu).map((m) => channelOf(JSON.parse(m.message)));
    expect(new Set(onTopic).size).toBe(onTopic.length); // each record published at most once
    // How many fit before the deadline depends on the machine (about 20, the bucket's burst, when idle);
    // that some do, and the accounting, do not.
    expect(delivery.published).toBeGreaterThan(0);
    expect(onTopic.length).toBeGreaterThanOrEqual(delivery.published);
    expect(onTopic.length).toBeLessThanOrEqual(delivery.published + delivery.unconfirmed);
    const refused = new Set(notDelivered.filter((l) => l.delivery === "refused").map((l) => channelOf(l)));
    expect(onTopic.filter((c) => refused.has(c))).toEqual([]);
    // Nothing lost: every record is on the topic or logged as not confirmed.
    const accounted = new Set([...onTopic, ...notDelivered.map((l) => channelOf(l))]);
    expect([...accounted].sort()).toEqual(inv.deadLetters.map(channelOf).sort());
  });

  it("a Retry-After longer than the time left is not waited for: dead-lettered at once", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    emu.control.addFault({
      method: "GET",
      path: "/members$",
      status: 429,
      headers: { "Retry-After": "3600" },
      times: 0,
    });
    const started = Date.now();
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [webBinding]),
      remainingMs: 10_000,
    });
    // Not waited for: well before the deadline (8 s of the 10 s), which waiting would have reached.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(inv.deadLetters).toEqual([
      expect.objectContaining({
        action: "read_members",
        error: expect.objectContaining({ status: 429, code: "APIG.0308" }),
        attempts: 1,
      }),
    ]);
    expect(inv.error?.name).toBe("TransientFailureError");
  });

  it("Retry-After as an HTTP date is honoured", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    const at = new Date(Date.now() + 2_000);
    emu.control.addFault({
      method: "POST",
      path: "/members$",
      status: 503,
      headers: { "Retry-After": at.toUTCString() },
    });
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [webBinding]),
    });
    expect(inv.summary?.added).toBe(1);
    const posts = emu.control.calls().filter((c) => c.method === "POST");
    expect(posts.map((c) => c.fault)).toEqual([true, false]);
    // HTTP dates have whole seconds: the retry comes no earlier than the second the server named.
    expect(Date.parse(posts[1]!.time)).toBeGreaterThanOrEqual(Math.floor(at.getTime() / 1000) * 1000 - 5);
  });
});

describe("retry classification, end to end", () => {
  it("network errors (connection refused) are retried, then dead-lettered with the attempts spent", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    // A port nobody listens on: take one, close it.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [webBinding], { AS_ENDPOINT: `http://127.0.0.1:${port}`, RETRY_MAX_ATTEMPTS: "4" }),
    });
    expect(inv.deadLetters).toEqual([
      expect.objectContaining({
        action: "read_instances",
        error: expect.objectContaining({ status: null, code: "NETWORK_ERROR" }),
        attempts: 4,
      }),
    ]);
    expect(inv.error?.name).toBe("TransientFailureError");
    expect(writes(emu)).toEqual([]);
  });

  it.each([
    ["APIG.9008", 400],
    ["APIG.0308", 400],
    ["APIG.9999", 500],
    ["AS.0001", 500],
  ])("error code %s is retried whatever the status (%i)", async (code, status) => {
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    const as = code.startsWith("AS.");
    emu.control.addFault({
      method: as ? "GET" : "POST",
      path: as ? "/scaling_group_instance/" : "/members$",
      status,
      body: as ? { error: { code, message: "busy" } } : { error_code: code, error_msg: "busy" },
      times: 2,
    });
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [webBinding]),
    });
    expect(inv.deadLetters).toEqual([]);
    expect(inv.summary?.added).toBe(1);
  });

  it("a 200 whose body is not the expected shape is retried, never read as an empty group", async () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1")],
        members: [{ ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" }],
      }),
    );
    emu.control.addFault({
      method: "GET",
      path: "/scaling_group_instance/",
      status: 200,
      body: { message: "maintenance" },
      times: 0,
    });
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [webBinding], { RETRY_MAX_ATTEMPTS: "2" }),
    });
    expect(groupMembers(emu, "web").map((m) => [m.ecs_id, m.status])).toEqual([["i-1", 1]]);
    expect(writes(emu)).toEqual([]);
    expect(inv.deadLetters).toEqual([
      expect.objectContaining({ action: "read_instances", error: expect.objectContaining({ status: 200 }) }),
    ]);
    expect(stackLines(inv)).toEqual([]);
  });
});

describe("done-equivalents", () => {
  it("a member deleted by someone else between list and delete (APIG.3024) counts as removed", async () => {
    emu.control.load(
      baseState({
        instances: [instance("i-1")],
        members: [
          { ecs_id: "i-1", ecs_name: "web-i-1", member_group_name: "web" },
          { ecs_id: "gone", ecs_name: "web-gone", member_group_name: "web" },
          { ecs_id: "gone", ecs_name: "foreign", member_group_name: "other" },
        ],
      }),
    );
    // Hold our DELETE back; while it waits, an operator removes the member.
    emu.control.addFault({ method: "DELETE", delayMs: 200 });
    const removeWhenDeleteArrives = (async () => {
      const until = Date.now() + 5_000;
      while (!emu.control.calls().some((c) => c.method === "DELETE") && Date.now() < until)
        await new Promise((r) => setTimeout(r, 2));
      const state = emu.control.state();
      const chan = state.gateways[0]!.channels[0]!;
      chan.members = chan.members.filter((m) => !(m.ecs_id === "gone" && m.member_group_name === "web"));
      emu.control.load(state as never);
    })();
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [webBinding]),
    });
    await removeWhenDeleteArrives;
    const del = emu.control.calls().filter((c) => c.method === "DELETE");
    expect(del.map((c) => c.status)).toEqual([404]);
    expect(inv.deadLetters).toEqual([]);
    expect(inv.summary).toMatchObject({ removed: 1, dead_lettered: 0 });
    expect(inv.error).toBeUndefined();
    expect(members(emu).map((m) => `${m.member_group_name}/${m.ecs_id}`)).toEqual(["web/i-1", "other/gone"]);
  });

  it("a hook completed by someone else (AS.7042) counts as done", async () => {
    emu.control.load(richState());
    emu.control.addFault({
      method: "PUT",
      path: "/callback$",
      status: 400,
      body: { error: { code: "AS.7042", message: "The lifecycle hook callback object does not exist" } },
    });
    const inv = await invoke("scaling-events", smnEvent('{"scaling_group_id":"asg-1"}'), {
      env: envFor(emu, [richBinding]),
    });
    expect(inv.deadLetters).toEqual([]);
    expect(inv.error).toBeUndefined();
    const callbacks = emu.control.calls().filter((c) => c.path.endsWith("/callback"));
    expect(callbacks).toHaveLength(1);
    // The emulator still holds the hook (the fault answered in its place); the next run completes it.
    expect(hanging(emu)).toHaveLength(1);
    await invoke("reconcile", timerEvent(), { env: envFor(emu, [richBinding]) });
    expect(hanging(emu)).toEqual([]);
  });
});

describe("client-side rate limit (token bucket per service)", () => {
  /** No two calls of `times` closer than the bucket allows: at most rate + rate·t calls in any span t. */
  function expectPaced(times: number[], rate: number) {
    const sorted = [...times].sort((a, b) => a - b);
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i; j < sorted.length; j++) {
        const t = (sorted[j]! - sorted[i]!) / 1000;
        expect(j - i + 1).toBeLessThanOrEqual(rate + Math.ceil(rate * t) + 1);
      }
    }
  }

  it("paces a large reconcile at the default of 20 calls per second per service", async () => {
    const { state, bindings } = manyChannels(18, 1);
    emu.control.load(state);
    const { API_RATE_LIMIT: _unset, ...env } = envFor(emu, bindings, { MAX_CONCURRENCY: "8" });
    const started = Date.now();
    const inv = await invoke("reconcile", timerEvent(), { env });
    expect(inv.deadLetters).toEqual([]);
    expect(inv.summary?.added).toBe(18);
    const gateway = emu.control
      .calls()
      .filter((c) => c.service === "gateway")
      .map((c) => Date.parse(c.time));
    // 18 channels x (list members, add): 36 calls, 20 in the burst, 16 more at 20/s.
    expect(gateway).toHaveLength(36);
    expect(Math.max(...gateway) - started).toBeGreaterThanOrEqual(750);
    expectPaced(gateway, 20);
  });

  it("API_RATE_LIMIT sets the rate: calls beyond the burst wait for tokens", async () => {
    const { state, bindings } = manyChannels(6, 1);
    emu.control.load(state);
    const rate = 4;
    const started = Date.now();
    const inv = await invoke("reconcile", timerEvent(), {
      env: envFor(emu, bindings, { API_RATE_LIMIT: String(rate), MAX_CONCURRENCY: "4" }),
    });
    expect(inv.deadLetters).toEqual([]);
    expect(inv.summary?.added).toBe(6);
    const gateway = emu.control
      .calls()
      .filter((c) => c.service === "gateway")
      .map((c) => Date.parse(c.time));
    // 12 gateway calls at 4/s with a burst of 4: the last cannot start before (12 - 4) / 4 s = 2 s.
    expect(gateway).toHaveLength(12);
    expect(Math.max(...gateway) - started).toBeGreaterThanOrEqual(1_900);
    expectPaced(gateway, rate);
  });
});
