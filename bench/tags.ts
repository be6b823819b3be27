import { fork } from "node:child_process";
import type { Emulator, StateInput } from "../test/emulator";
import {
  AK,
  envFor,
  instance,
  romaChannel,
  romaInstance,
  SK,
  startEmulator,
  timerEvent,
} from "../test/support/harness";
import { ADD_CHUNK, AS_PAGE } from "./api-calls";
import { type ChildResult, runChild } from "./child";
import { median } from "./cold-start";
import { LATENCY_MS } from "./scale";

/**
 * BINDINGS_FROM_TAGS at scale: 1,000 AS groups that bind themselves with tags (5 instances each, one
 * channel each), no BINDINGS, reconciled through fan-out: `reconcile` discovers them (⌈1,000 / 1,000⌉ =
 * one query-by-tag call) and hands 4 shards of 250 to async `backfill` invocations, which each discover
 * once more. FunctionGraph runs each shard on an instance of its own; on a 2-core machine four shard
 * processes at once would measure their fight for the CPU instead, so each shard runs alone, and the
 * wall time is the reconcile plus the slowest shard (what concurrent shards on their own instances
 * take). The floor is the bare client (bench/bare-client.ts) run the same way: one process per shard,
 * the shard's bindings, the same concurrency, the channel read the ownership check needs, and no
 * discovery, no fan-out.
 */
export const TAGGED_GROUPS = 1_000;
export const TAGGED_MEMBERS_PER_GROUP = 5;
export const TAGGED_SHARD_SIZE = 250;
const BACKFILL_URN = "urn:fss:cn-north-4:proj:function:default:channel-autoscaler-backfill:latest";
const QUERY_PATH = "/scaling_group_tag/resource_instances/action";

export interface TaggedRun {
  concurrency: number;
  shards: number;
  /** reconcile, then the slowest shard (median over the repeats). */
  wallMs: number;
  /** The bare client's slowest shard (median over the repeats). */
  bareMs: number;
  calls: number;
  /** Query-by-tag calls, and the invocations that made them. */
  discoveryCalls: number;
  invocations: number;
  members: number;
  peakRssMb: number;
  repeats: number;
  error?: string;
}

const id = (g: number) => String(g).padStart(4, "0");

function state(): StateInput {
  return {
    gateways: romaInstance(
      Array.from({ length: TAGGED_GROUPS }, (_, g) => romaChannel({ id: `chan-${id(g)}`, groups: ["web"] })),
    ),
    scaling_groups: Array.from({ length: TAGGED_GROUPS }, (_, g) => ({
      scaling_group_id: `asg-${id(g)}`,
      instances: Array.from({ length: TAGGED_MEMBERS_PER_GROUP }, (_, i) => instance(`i-${id(g)}-${i}`)),
      tags: [
        { key: "channel-autoscaler-channel", value: `chan-${id(g)}` },
        { key: "channel-autoscaler-instance", value: "roma-1" },
        { key: "channel-autoscaler-member-group", value: "web" },
        { key: "channel-autoscaler-drain-seconds", value: "0" },
      ],
    })),
    functions: [{ func_urn: BACKFILL_URN }],
  } as StateInput;
}

function envOf(emu: Emulator, concurrency: number): Record<string, string> {
  const { BINDINGS: _, ...env } = envFor(emu, [], {
    BINDINGS_FROM_TAGS: "true",
    TAG_BINDINGS_ALLOWED: "roma:roma-1/*",
    MAX_CONCURRENCY: String(concurrency),
    API_RATE_LIMIT: "1000",
    REQUEST_TIMEOUT_MS: "30000",
    LOG_LEVEL: "info",
    BACKFILL_FUNCTION_URN: BACKFILL_URN,
    FANOUT_THRESHOLD: "50",
    FANOUT_SHARD_SIZE: String(TAGGED_SHARD_SIZE),
  });
  return env;
}

const membersIn = (emu: Emulator) =>
  emu.control.state().gateways.reduce((n, g) => n + g.channels.reduce((m, c) => m + c.members.length, 0), 0);

async function fanOutOnce(
  emu: Emulator,
  reconcileBundle: string,
  backfillBundle: string,
  concurrency: number,
) {
  const job = { env: envOf(emu, concurrency), remainingMs: 600_000 };
  const reconcile = await runChild({
    ...job,
    bundle: reconcileBundle,
    name: "reconcile",
    event: timerEvent(),
    requestId: "bench-tags-reconcile",
  });
  const payloads = (emu.control.state().functions[0]?.invocations ?? []).map((i) => i.body);
  const shards: ChildResult[] = [];
  for (const [i, event] of payloads.entries()) {
    shards.push(
      await runChild({
        ...job,
        bundle: backfillBundle,
        name: "backfill",
        event,
        requestId: `bench-tags-${i}`,
      }),
    );
  }
  const calls = emu.control.calls();
  const results = [reconcile, ...shards];
  return {
    wallMs: reconcile.invokeMs + Math.max(0, ...shards.map((s) => s.invokeMs)),
    shards: payloads as { scaling_group_ids: string[] }[],
    calls: calls.length,
    discoveryCalls: calls.filter((c) => c.path.endsWith(QUERY_PATH)).length,
    invocations: results.length,
    members: membersIn(emu),
    peakRssMb: Math.max(...results.map((r) => r.maxRssKb / 1024)),
    error: results.find((r) => r.error)?.error,
  };
}

function bareShard(file: string, emu: Emulator, concurrency: number, groups: readonly string[]) {
  const bindings = groups.map((g) => ({
    scaling_group_id: g,
    instance_id: "roma-1",
    vpc_channel_id: g.replace(/^asg-/, "chan-"),
    member_group_name: "web",
  }));
  return new Promise<{ wallMs: number; error?: string }>((resolve, reject) => {
    const child = fork(file, [], { execArgv: [], stdio: ["ignore", "ignore", "inherit", "ipc"] });
    child.once("message", (m) => resolve(m as { wallMs: number; error?: string }));
    child.once("error", reject);
    child.send({
      url: emu.url,
      projectId: emu.projectId,
      ak: AK,
      sk: SK,
      concurrency,
      bindings,
      asPage: AS_PAGE,
      addChunk: ADD_CHUNK,
      // A tag binding's member group must be proven the function's: the floor reads the channel too.
      readChannel: true,
    });
  });
}

/** The tagged fan-out and its bare-client floor, alternating, `repeats` times each. */
export async function measureTaggedFanOut(
  bundles: { backfill: string; reconcile: string; bareClient: string },
  concurrency: number,
  repeats: number,
): Promise<TaggedRun> {
  const emu = await startEmulator({ latencyMs: LATENCY_MS });
  const runs: Awaited<ReturnType<typeof fanOutOnce>>[] = [];
  const bare: number[] = [];
  let error: string | undefined;
  try {
    for (let r = 0; r < repeats; r++) {
      emu.control.reset();
      emu.control.load(state());
      const run = await fanOutOnce(emu, bundles.reconcile, bundles.backfill, concurrency);
      runs.push(run);
      error ??= run.error;
      emu.control.reset();
      emu.control.load(state());
      const shards: { wallMs: number; error?: string }[] = [];
      for (const s of run.shards)
        shards.push(await bareShard(bundles.bareClient, emu, concurrency, s.scaling_group_ids));
      error ??= shards.find((s) => s.error)?.error;
      bare.push(Math.max(...shards.map((s) => s.wallMs)));
    }
  } finally {
    await emu.close();
  }
  const first = runs[0]!;
  return {
    concurrency,
    shards: first.shards.length,
    wallMs: median(runs.map((r) => r.wallMs)),
    bareMs: median(bare),
    calls: first.calls,
    discoveryCalls: first.discoveryCalls,
    invocations: first.invocations,
    members: first.members,
    peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
    repeats,
    ...(error ? { error } : {}),
  };
}
