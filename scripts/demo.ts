/**
 * `npm run demo`: runs the built function bundles against the local cloud emulator and shows what
 * happened — a scale-out, a repeat (no writes), a scale-in with a terminate hook, and a drift repair by
 * the timer. Exits non-zero if the channel does not end equal to the group.
 */
import { mkdir, writeFile } from "node:fs/promises";
import {
  envFor,
  type FunctionName,
  instance,
  invoke,
  members,
  smnEvent,
  startEmulator,
  timerEvent,
} from "../test/support/harness";

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

async function main(): Promise<number> {
  const emu = await startEmulator();
  const logLines: string[] = [];
  try {
    emu.control.load({
      gateways: [
        {
          instance_id: "roma-demo",
          kind: "roma",
          channels: [
            {
              id: "chan-web",
              name: "web_backends",
              port: 8080,
              balance_strategy: 1,
              member_type: "ecs",
              member_groups: [{ member_group_name: "legacy" }],
              members: [
                { ecs_id: "legacy-vm", ecs_name: "legacy-vm", member_group_name: "legacy", weight: 2 },
              ],
            },
          ],
        },
      ],
      scaling_groups: [
        {
          scaling_group_id: "asg-web",
          scaling_group_name: "web",
          instances: [instance("i-1"), instance("i-2")],
          lifecycle_hooks: [
            { lifecycle_hook_name: "launch", lifecycle_hook_type: "INSTANCE_LAUNCHING" },
            { lifecycle_hook_name: "terminate", lifecycle_hook_type: "INSTANCE_TERMINATING" },
          ],
        },
      ],
    } as never);
    const env = envFor(emu, [
      {
        scaling_group_id: "asg-web",
        instance_id: "roma-demo",
        vpc_channel_id: "chan-web",
        member_group_name: "web",
        weight: 10,
        drain_seconds: 1,
      },
    ]);

    /** One invocation: its title, what changed before it (`before`), its calls and its summary. */
    const step = async (title: string, fn: FunctionName, event: unknown, before?: string) => {
      emu.control.clearCalls();
      const res = await invoke(fn, event, { env, requestId: `demo-${fn}` });
      logLines.push(...res.lines);
      console.log(`\n${bold(title)}  ${dim(`(${fn} bundle)`)}`);
      if (before) console.log(`  ${before}`);
      for (const c of emu.control.calls()) {
        const path = c.path.replace(/^\/(v\d|autoscaling-api\/v1)\/[^/]+\//, "");
        const body = c.method === "GET" ? "" : dim(` ${JSON.stringify(c.body ?? "").slice(0, 90)}`);
        console.log(`  ${String(c.status).padEnd(4)}${c.method.padEnd(7)}${path}${body}`);
      }
      if (res.error) console.log(`  error: ${res.error.message}`);
      const s = res.summary;
      if (s) {
        console.log(
          `  → added ${s.added}, updated ${s.updated}, disabled ${s.disabled}, removed ${s.removed}, unchanged ${s.unchanged}, hooks completed ${s.hooks_completed}, dead letters ${s.dead_lettered}`,
        );
      }
      return res;
    };

    // 1. Scale-out: AS launches i-3 and holds it with a launch hook until it is registered.
    emu.control.setInstance({
      scaling_group_id: "asg-web",
      ...instance("i-3", "PENDING_WAIT", "INITIALIZING"),
    });
    emu.control.addHangingHook({
      scaling_group_id: "asg-web",
      instance_id: "i-3",
      lifecycle_hook_name: "launch",
    });
    await step(
      "1. Scale-out: SMN notification names asg-web",
      "scaling-events",
      smnEvent(
        JSON.stringify({ scaling_group_id: "asg-web", instance_id: "i-3", lifecycle_hook_name: "launch" }),
      ),
    );
    // 2. The same notification again (SMN delivers at least once): nothing to write.
    const repeat = await step(
      "2. Duplicate delivery of the same event",
      "scaling-events",
      smnEvent(JSON.stringify({ scaling_group_id: "asg-web" })),
    );
    // 3. Scale-in: AS picks i-1 and holds it with a terminate hook until it is drained and removed.
    emu.control.setInstance({ scaling_group_id: "asg-web", ...instance("i-1", "REMOVING_WAIT") });
    emu.control.addHangingHook({
      scaling_group_id: "asg-web",
      instance_id: "i-1",
      lifecycle_hook_name: "terminate",
    });
    await step(
      "3. Scale-in: drain i-1, delete it, then let AS terminate it",
      "scaling-events",
      smnEvent("scale in"),
    );
    // 4. Drift: someone deletes i-2's member by hand and an event is lost; the timer repairs it.
    const web = members(emu, "roma-demo", "chan-web").find((m) => m.ecs_id === "i-2");
    if (web) {
      emu.control.load({
        ...emu.control.state(),
        gateways: emu.control.state().gateways.map((g) => ({
          ...g,
          channels: g.channels.map((c) => ({ ...c, members: c.members.filter((m) => m.id !== web.id) })),
        })),
      } as never);
    }
    await step(
      "4. Drift repaired by the TIMER reconcile",
      "reconcile",
      timerEvent(),
      `drift: i-2's member ${web?.id ?? "(none)"} was deleted by hand and no event said so; the timer re-adds it`,
    );

    const final = members(emu, "roma-demo", "chan-web");
    console.log(`\n${bold("Final channel chan-web")}`);
    console.log(
      `  ${"group".padEnd(8)}${"ecs_id".padEnd(12)}${"ecs_name".padEnd(12)}${"weight".padEnd(8)}status`,
    );
    for (const m of final) {
      console.log(
        `  ${m.member_group_name.padEnd(8)}${(m.ecs_id ?? "").padEnd(12)}${(m.ecs_name ?? "").padEnd(12)}${String(m.weight).padEnd(8)}${m.status === 1 ? "enabled" : "disabled"}`,
      );
    }
    const group = emu.control.state().scaling_groups.find((g) => g.scaling_group_id === "asg-web");
    const serving = (group?.instances ?? [])
      .filter((i) => i.life_cycle_state === "INSERVICE" || i.life_cycle_state === "PENDING_WAIT")
      .map((i) => i.instance_id)
      .sort();
    const registered = final
      .filter((m) => m.member_group_name === "web")
      .map((m) => m.ecs_id)
      .sort();
    await mkdir(".tmp", { recursive: true });
    await writeFile(".tmp/demo-logs.jsonl", `${logLines.join("\n")}\n`);
    console.log(dim(`\nFunction logs (JSON lines): .tmp/demo-logs.jsonl`));

    const converged =
      JSON.stringify(serving) === JSON.stringify(registered) &&
      final.some((m) => m.ecs_id === "legacy-vm" && m.weight === 2) &&
      (repeat.summary?.added ?? 1) + (repeat.summary?.removed ?? 1) === 0 &&
      (group?.hanging ?? []).length === 0;
    console.log(
      converged
        ? bold(
            `\nConverged: AS group serves ${serving.join(", ")}; channel group "web" holds the same; "legacy" untouched.`,
          )
        : bold(`\nNOT converged: AS serves [${serving}] but channel holds [${registered}]`),
    );
    return converged ? 0 : 1;
  } finally {
    await emu.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
