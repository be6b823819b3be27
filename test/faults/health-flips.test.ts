/**
 * Property: whatever the history of member health flips (healthy / unhealthy / unknown) and of time
 * passing between runs, and whether AS is in a scaling activity, replace_unhealthy through the src entry
 * (src/runtime/invoke.ts, the code the bundles are built from) against the emulator never quarantines
 * more than max_per_run per run, never while more than max_unhealthy_fraction of the members with a
 * health reading are unhealthy, never a
 * member before it has been unhealthy (without a healthy reading) across after_seconds, never an instance
 * younger than after_seconds; AS refusing is never a dead letter; and after every run the member group
 * holds exactly the INSERVICE instances. The function's clock is injected (InvokeOptions.now): no sleeping.
 * HEALTH_FLIP_RUNS sets the number of cases (default 60).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { invoke } from "../../src/runtime/invoke";
import { emulatorForFile } from "../support/emulator-for-file";
import { apigChannel, apigInstance, type Binding, envFor, fakeContext, members } from "../support/harness";

const RUNS = Number(process.env.HEALTH_FLIP_RUNS ?? 60);
const emu = await emulatorForFile();

type Health = "healthy" | "unhealthy" | "unknown";
const health = fc.constantFrom<Health>("healthy", "unhealthy", "unhealthy", "unknown");
const scenario = fc.record({
  instances: fc.integer({ min: 2, max: 5 }),
  ages: fc.array(fc.integer({ min: 0, max: 900 }), { minLength: 5, maxLength: 5 }),
  after: fc.constantFrom(60, 300),
  maxPerRun: fc.constantFrom(1, 2),
  fraction: fc.constantFrom(0.34, 0.5, 1),
  steps: fc.array(
    fc.record({
      advance: fc.integer({ min: 0, max: 400 }),
      flips: fc.array(health, { minLength: 8, maxLength: 8 }),
      activity: fc.boolean(),
    }),
    { minLength: 2, maxLength: 6 },
  ),
});

describe("replace_unhealthy under random health flips (src entry, emulator, injected clock)", () => {
  it(`keeps every safety rule (${RUNS} cases)`, { timeout: 600_000 }, async () => {
    let quarantinedTotal = 0;
    let guardedTotal = 0;
    let refusedTotal = 0;
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const t0 = Date.now();
        const ids = Array.from({ length: s.instances }, (_, k) => `i-${k}`);
        emu.control.reset();
        emu.control.load({
          gateways: apigInstance([
            apigChannel({
              healthConfig: {
                protocol: "TCP",
                threshold_normal: 2,
                threshold_abnormal: 2,
                time_interval: 10,
                timeout: 5,
              },
              members: ids.map((id) => ({
                ecs_id: id,
                ecs_name: `web-${id}`,
                member_group_name: "web",
                create_time: new Date(t0 - 7_200_000).toISOString(),
              })),
            }),
          ]),
          scaling_groups: [
            {
              scaling_group_id: "asg-1",
              scaling_group_name: "web",
              instances: ids.map((id, k) => ({
                instance_id: id,
                create_time: new Date(t0 - s.ages[k]! * 1000).toISOString(),
              })),
            },
          ],
          servers: ids.map((id) => ({ id })),
        });
        const binding: Binding = {
          scaling_group_id: "asg-1",
          gateway: "apig",
          instance_id: "apig-1",
          vpc_channel_id: "chan-a",
          member_group_name: "web",
          drain_seconds: 0,
          replace_unhealthy: {
            after_seconds: s.after,
            max_per_run: s.maxPerRun,
            max_unhealthy_fraction: s.fraction,
            // The budget across runs has its own property (budget-properties.test.ts): here, room.
            max_in_standby: 100,
            cooldown_seconds: 0,
          },
        };
        const env = { ...envFor(emu, [binding]), LOG_LEVEL: "warn" };
        /** Simulated seconds since t0 when the current unhealthy spell of each instance was first seen. */
        const spell = new Map<string, number>();
        let clock = 0;

        for (const step of s.steps) {
          clock += step.advance;
          const current = members(emu, "apig-1", "chan-a");
          current.forEach((m, k) => {
            const h = step.flips[k % step.flips.length]!;
            emu.control.setMemberHealth({
              instance_id: "apig-1",
              vpc_channel_id: "chan-a",
              member_id: m.id,
              health_status: h,
            });
            if (h === "healthy") spell.delete(m.ecs_id!);
            else if (h === "unhealthy" && !spell.has(m.ecs_id!)) spell.set(m.ecs_id!, clock);
          });
          const flipOf = (k: number) => step.flips[k % step.flips.length];
          const unhealthy = current.filter((_, k) => flipOf(k) === "unhealthy").length;
          // Counted over the members with a reading: unknown is never healthy.
          const read = current.filter((_, k) => flipOf(k) !== "unknown").length;
          const guardHolds = read > 0 && unhealthy / read > s.fraction;
          if (step.activity) emu.control.setScalingActivity("asg-1", true);
          emu.control.clearCalls();

          const lines: string[] = [];
          const now = t0 + clock * 1000;
          await invoke(
            "reconcile",
            { version: "v1.0", trigger_type: "TIMER", time: "", trigger_name: "t", user_event: "" },
            fakeContext({ env }),
            {
              write: (line) => lines.push(line),
              now: () => now,
            },
          );
          const logs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
          expect(logs.filter((l) => l.dead_letter === true)).toEqual([]);

          const standby = emu.control
            .calls()
            .filter((c) => c.method === "POST" && c.path.endsWith("/scaling_group_instance/asg-1/action"));
          const accepted = standby.filter((c) => c.status === 204);
          const quarantined = accepted.flatMap((c) => (c.body as { instances_id: string[] }).instances_id);
          expect(quarantined.length).toBeLessThanOrEqual(s.maxPerRun);
          if (guardHolds) expect(standby).toEqual([]);
          if (step.activity) expect(accepted).toEqual([]);
          const instances = new Map(
            emu.control.state().scaling_groups[0]!.instances.map((i) => [i.instance_id, i]),
          );
          for (const id of quarantined) {
            expect(
              standby.every((c) => (c.body as { instance_append?: string }).instance_append === "yes"),
            ).toBe(true);
            expect(clock - spell.get(id)!).toBeGreaterThanOrEqual(s.after);
            expect(now - Date.parse(instances.get(id)!.create_time)).toBeGreaterThanOrEqual(s.after * 1000);
            expect(instances.get(id)!.life_cycle_state).toBe("STANDBY");
          }
          quarantinedTotal += quarantined.length;
          refusedTotal += standby.length - accepted.length;
          if (logs.some((l) => l.level === "warn" && l.action === "quarantine" && l.unhealthy !== undefined))
            guardedTotal += 1;

          // The member group holds exactly the serving instances: quarantined ones are drained out.
          const serving = [...instances.values()]
            .filter((i) => i.life_cycle_state === "INSERVICE")
            .map((i) => i.instance_id)
            .sort();
          expect(
            members(emu, "apig-1", "chan-a")
              .map((m) => m.ecs_id)
              .sort(),
          ).toEqual(serving);

          // AS finishes any activity before the next step; its replacements go in service.
          emu.control.setScalingActivity("asg-1", false);
        }
      }),
      { numRuns: RUNS },
    );
    // The generator keeps exercising what the property is about.
    expect(quarantinedTotal).toBeGreaterThan(0);
    expect(guardedTotal).toBeGreaterThan(0);
    expect(refusedTotal).toBeGreaterThan(0);
  });
});
