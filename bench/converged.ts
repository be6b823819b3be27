import type { StateInput } from "../test/emulator";
import {
  envFor,
  instance,
  romaChannel,
  romaInstance,
  startEmulator,
  timerEvent,
} from "../test/support/harness";
import { AS_PAGE, MEMBER_PAGE } from "./api-calls";
import { runChild } from "./child";
import { DEFAULT_RATE, LATENCY_MS, RAISED_RATE } from "./scale";

/**
 * The timer's steady cost at scale: one `reconcile` invocation (no fan-out) of 1,000 converged bindings,
 * each its own scaling group and channel with 2 instances and their 2 members, against the emulator at
 * 20 ms per call, in a child process; at the default pacing (API_RATE_LIMIT 20 calls/s per service),
 * where time is calls, and at 1,000 calls/s, where the round trips and MAX_CONCURRENCY (default 4)
 * bound it. The floor is one member page and one instance page a binding: 2,000 calls, no write.
 */
export const CONVERGED_BINDINGS = 1_000;
const MEMBERS_EACH = 2;

export interface ConvergedRun {
  rate: number;
  calls: number;
  writes: number;
  floorCalls: number;
  wallMs: number;
  peakRssMb: number;
  unchanged: number;
  error?: string;
}

const id = (g: number) => String(g).padStart(4, "0");

function state(): StateInput {
  const ids = (g: number) => Array.from({ length: MEMBERS_EACH }, (_, i) => `i-${id(g)}-${i}`);
  return {
    gateways: romaInstance(
      Array.from({ length: CONVERGED_BINDINGS }, (_, g) =>
        romaChannel({
          id: `chan-${id(g)}`,
          groups: ["web"],
          members: ids(g).map((i) => ({ ecs_id: i, ecs_name: `web-${i}`, member_group_name: "web" })),
        }),
      ),
    ),
    scaling_groups: Array.from({ length: CONVERGED_BINDINGS }, (_, g) => ({
      scaling_group_id: `asg-${id(g)}`,
      instances: ids(g).map((i) => instance(i)),
    })),
  } as StateInput;
}

const bindings = Array.from({ length: CONVERGED_BINDINGS }, (_, g) => ({
  scaling_group_id: `asg-${id(g)}`,
  instance_id: "roma-1",
  vpc_channel_id: `chan-${id(g)}`,
  member_group_name: "web",
}));

export async function measureConvergedReconcile(reconcile: string): Promise<ConvergedRun[]> {
  const emu = await startEmulator({ memberQuota: 1_000, latencyMs: LATENCY_MS });
  const floorCalls =
    CONVERGED_BINDINGS * (Math.ceil(MEMBERS_EACH / MEMBER_PAGE) + Math.ceil(MEMBERS_EACH / AS_PAGE));
  const runs: ConvergedRun[] = [];
  try {
    for (const rate of [DEFAULT_RATE, RAISED_RATE]) {
      emu.control.reset();
      emu.control.load(state());
      const { API_RATE_LIMIT: _raised, ...env } = envFor(emu, bindings, {
        REQUEST_TIMEOUT_MS: "30000",
        LOG_LEVEL: "info",
      });
      const result = await runChild({
        bundle: reconcile,
        name: "reconcile",
        event: timerEvent(),
        env: rate === DEFAULT_RATE ? env : { ...env, API_RATE_LIMIT: String(rate) },
        remainingMs: 900_000,
        requestId: `bench-converged-${rate}`,
      });
      const calls = emu.control.calls();
      runs.push({
        rate,
        calls: calls.length,
        writes: calls.filter((c) => c.method !== "GET").length,
        floorCalls,
        wallMs: result.invokeMs,
        peakRssMb: result.maxRssKb / 1024,
        unchanged: Number(result.summary?.unchanged ?? 0),
        ...(result.error ? { error: result.error } : {}),
      });
    }
  } finally {
    await emu.close();
  }
  return runs;
}
