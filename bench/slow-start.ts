import type { StateInput } from "../test/emulator";
import {
  envFor,
  instance,
  romaChannel,
  romaInstance,
  smnEvent,
  startEmulator,
  timerEvent,
} from "../test/support/harness";
import { runChild } from "./child";
import { LATENCY_MS } from "./scale";

export const RAMP_MEMBERS = 1_000;
export const RAMP_WINDOW_S = 300;
export const RAMP_TIMER_S = 60;
/** The add lands half a timer period before the timer's next tick (a scale-out at a random moment). */
const FIRST_TICK_S = RAMP_TIMER_S / 2;

export interface RampRun {
  /** Seconds after the add, on the function's clock. */
  at: number;
  /** Member writes (POST …/members): adds and raises, 100 members a call. */
  posts: number;
  calls: number;
  added: number;
  ramping: number;
  wallMs: number;
  error?: string;
}

export interface RampBench {
  runs: RampRun[];
  members: number;
  /** Members not at their full weight after the last run. */
  notRamped: number;
}

/**
 * 1,000 members of one binding ramping across a 5-minute window with a 1-minute reconcile timer: the
 * add (a scaling-events run), then timer runs of the reconcile bundle each a minute later on the
 * function's clock (child processes whose Date.now runs ahead; nothing waits the minutes), until the
 * window is over and one run more. The emulator answers every call after LATENCY_MS.
 */
export async function measureSlowStart(bundles: {
  reconcile: string;
  scalingEvents: string;
}): Promise<RampBench> {
  const emu = await startEmulator({ memberQuota: RAMP_MEMBERS, latencyMs: LATENCY_MS });
  try {
    emu.control.load({
      gateways: romaInstance([romaChannel({ groups: ["web"] })]),
      scaling_groups: [
        {
          scaling_group_id: "asg-1",
          instances: Array.from({ length: RAMP_MEMBERS }, (_, i) =>
            instance(`i-${String(i).padStart(4, "0")}`),
          ),
        },
      ],
    } as StateInput);
    const env = envFor(
      emu,
      [
        {
          scaling_group_id: "asg-1",
          instance_id: "roma-1",
          vpc_channel_id: "chan-1",
          member_group_name: "web",
          weight: 10,
          slow_start_seconds: RAMP_WINDOW_S,
          drain_seconds: 0,
        },
      ],
      { API_RATE_LIMIT: "1000", REQUEST_TIMEOUT_MS: "30000", LOG_LEVEL: "warn" },
    );
    const ticks = [0];
    for (let at = FIRST_TICK_S; at <= RAMP_WINDOW_S + RAMP_TIMER_S + FIRST_TICK_S; at += RAMP_TIMER_S)
      ticks.push(at);
    const runs: RampRun[] = [];
    for (const at of ticks) {
      emu.control.clearCalls();
      const add = at === 0;
      const result = await runChild({
        bundle: add ? bundles.scalingEvents : bundles.reconcile,
        name: add ? "scaling-events" : "reconcile",
        event: add ? smnEvent(JSON.stringify({ scaling_group_id: "asg-1" })) : timerEvent(),
        env,
        remainingMs: 600_000,
        requestId: `bench-ramp-${at}`,
        clockAheadMs: at * 1000,
      });
      const calls = emu.control.calls();
      runs.push({
        at,
        posts: calls.filter((c) => c.method === "POST" && c.path.endsWith("/members")).length,
        calls: calls.length,
        added: Number(result.summary?.added ?? 0),
        ramping: Number(result.summary?.ramping ?? 0),
        wallMs: result.invokeMs,
        ...(result.error ? { error: result.error } : {}),
      });
    }
    const members = emu.control.state().gateways[0]!.channels[0]!.members;
    return { runs, members: members.length, notRamped: members.filter((m) => m.weight !== 10).length };
  } finally {
    await emu.close();
  }
}
