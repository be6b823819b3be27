import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { invoke, runInvocation, TransientFailureError } from "../../src/runtime/invoke";
import { baseState, type Emulator, envFor, instance, startEmulator, webBinding } from "../support/harness";

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.control.reset();
  emu.control.load(baseState({ instances: [instance("i-1"), instance("i-2")] }));
});

/** Runs the backfill function's code in this process, keeping its log lines. */
async function run(extra: Record<string, string> = {}) {
  const lines: string[] = [];
  const result = await runInvocation("backfill", {}, undefined, {
    env: envFor(emu, [webBinding], extra),
    write: (line) => lines.push(line),
  });
  return { result, logged: lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe("runInvocation", () => {
  it("returns the summary, dead letters, figures and outcomes that its log lines carry", async () => {
    // One member fits in the channel: adding two is refused (APIG.3110), a permanent failure.
    emu.control.setOptions({ memberQuota: 1 });
    const { result, logged } = await run();
    expect(result.failure).toBeUndefined();
    expect(result.deadLetters.map((d) => `${d.action} ${d.error.code}`)).toEqual(["add_members APIG.3110"]);
    expect(JSON.parse(JSON.stringify(result.deadLetters))).toEqual(
      logged.filter((l) => l.dead_letter === true),
    );
    expect([...result.outcomes.values()]).toEqual(["permanent"]);

    const line = logged.find((l) => l.action === "summary")!;
    const { plan, ...counts } = result.summary;
    expect(line.summary).toEqual({ ...counts, planned_actions: plan.length });
    expect(line).toMatchObject({ ...result.metrics, dead_letters: 1 });
    expect(result.summary).toMatchObject({ bindings: 1, added: 0, dead_lettered: 1 });
    expect(result.metrics).toMatchObject({ failed_bindings: 1, members_changed: 0, retries: 0 });
  });

  it("marks a run where every binding failed for transient reasons; the handler throws it", async () => {
    emu.control.addFault({ service: "gateway", status: 503, times: 0 });
    const { result } = await run({ RETRY_MAX_ATTEMPTS: "2" });
    expect(result.failure).toBeInstanceOf(TransientFailureError);
    expect((result.failure as TransientFailureError).failedBindings).toBe(1);
    expect(result.deadLetters.map((d) => `${d.action} ${d.error.code} ${d.attempts}`)).toEqual([
      "read_members APIG.9999 2",
    ]);
    expect(result.metrics).toMatchObject({ retries: 1, failed_bindings: 1 });

    const thrown = await invoke("backfill", {}, undefined, {
      env: envFor(emu, [webBinding], { RETRY_MAX_ATTEMPTS: "2" }),
      write: () => {},
    }).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(TransientFailureError);
    expect((thrown as Error).message).toBe(result.failure!.message);
    expect((thrown as Error).stack).toBe(`TransientFailureError: ${result.failure!.message}`);
  });

  it("dead-letters an event whose reading breaks unforeseen, logs it and fails with an input error", async () => {
    const lines: string[] = [];
    const event = {
      get record(): never {
        throw new RangeError("unforeseen");
      },
    };
    const thrown = await runInvocation("scaling-events", event, undefined, {
      env: envFor(emu, [webBinding]),
      write: (line) => lines.push(line),
    }).catch((e: unknown) => e);
    expect(thrown).toMatchObject({ name: "InputError", message: "the event could not be read: unforeseen" });
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.dead_letter === true)).toMatchObject([
      {
        action: "parse_event",
        binding: null,
        error: { code: "UNREADABLE_EVENT", message: "the event could not be read: unforeseen" },
      },
    ]);
    expect(logged.some((l) => l.level === "error" && l.action === "read_event")).toBe(true);
    expect(emu.control.calls()).toEqual([]);
  });
});
