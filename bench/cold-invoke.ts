import type { StateInput } from "../test/emulator";
import { envFor, instance, romaGateway, smnEvent, startEmulator } from "../test/support/harness";
import { runChild } from "./child";
import { median } from "./cold-start";

export interface ColdInvoke {
  /** Process start to the handler's answer. */
  totalMs: number;
  requireMs: number;
  invokeMs: number;
  calls: number;
  peakRssMb: number;
}

const MEMBERS = 100;

/**
 * What the first request to a fresh instance waits for, beyond starting node: a fresh process requires
 * the bundle and answers one converged scale event (100 members, no latency), so the work deferred from
 * start to first use (the http module, the response schemas) is counted too. Medians of `rounds`.
 */
export async function measureColdInvoke(bundle: string, rounds: number): Promise<ColdInvoke> {
  const emu = await startEmulator();
  const instances = Array.from({ length: MEMBERS }, (_, i) => instance(`i-${i}`));
  emu.control.load({
    gateways: romaGateway(
      instances.map((i) => ({
        ecs_id: i.instance_id,
        ecs_name: i.instance_name,
        member_group_name: "web",
      })),
      ["web"],
    ),
    scaling_groups: [{ scaling_group_id: "asg-1", instances }],
  } as StateInput);
  const env = envFor(emu, [
    { scaling_group_id: "asg-1", instance_id: "roma-1", vpc_channel_id: "chan-1", member_group_name: "web" },
  ]);
  const samples: { total: number; require: number; invoke: number; rss: number }[] = [];
  let calls = 0;
  try {
    for (let round = -2; round < rounds; round++) {
      emu.control.clearCalls();
      const r = await runChild({
        bundle,
        name: "scaling-events",
        event: smnEvent('{"scaling_group_id":"asg-1"}'),
        env,
        remainingMs: 60_000,
        requestId: `bench-cold-${round}`,
      });
      if (r.error || r.summary?.unchanged !== MEMBERS) {
        throw new Error(`cold invocation did not converge: ${r.error ?? JSON.stringify(r.summary)}`);
      }
      calls = emu.control.calls().length;
      if (round >= 0)
        samples.push({
          total: r.sinceStartMs,
          require: r.requireMs,
          invoke: r.invokeMs,
          rss: r.maxRssKb / 1024,
        });
    }
  } finally {
    await emu.close();
  }
  return {
    totalMs: median(samples.map((s) => s.total)),
    requireMs: median(samples.map((s) => s.require)),
    invokeMs: median(samples.map((s) => s.invoke)),
    calls,
    peakRssMb: median(samples.map((s) => s.rss)),
  };
}
