import { fork } from "node:child_process";
import type { Emulator, StateInput } from "../test/emulator";
import {
  AK,
  type Binding,
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

export const LATENCY_MS = 20;
export const BINDINGS = 50;
export const INSTANCES_PER_BINDING = 200;
/** Fan-out settings for the fan-out run: two shards of 25 bindings. */
export const FANOUT = { threshold: 25, shardSize: 25 };
const BACKFILL_URN = "urn:fss:cn-north-4:proj:function:default:channel-autoscaler-backfill:latest";

export interface ScaleRun {
  kind: "bundle" | "bare client" | "fan-out";
  concurrency: number;
  calls: number;
  writes: number;
  /** Members in the channels afterwards. */
  members: number;
  /** Median over the repeats. */
  wallMs: number;
  /** Each repeat's wall time, in run order (a bundle run and its bare-client run alternate). */
  wallSamples: number[];
  /** calls × latency ÷ concurrency (fan-out: the fan-out calls, then the largest shard's). */
  idealMs: number;
  /** The largest peak RSS of the processes the runs took; undefined for the bare client. */
  peakRssMb: number | undefined;
  repeats: number;
  /** Invocations the run took: 1, or the reconcile and each backfill shard of a fan-out. */
  invocations: number;
  error?: string;
}

const pad = (i: number) => String(i).padStart(2, "0");

function state(): StateInput {
  return {
    gateways: romaInstance(
      Array.from({ length: BINDINGS }, (_, c) => romaChannel({ id: `chan-${pad(c)}`, groups: ["web"] })),
    ),
    scaling_groups: Array.from({ length: BINDINGS }, (_, g) => ({
      scaling_group_id: `asg-${pad(g)}`,
      instances: Array.from({ length: INSTANCES_PER_BINDING }, (_, i) =>
        instance(`i-${pad(g)}-${String(i).padStart(3, "0")}`),
      ),
    })),
    functions: [{ func_urn: BACKFILL_URN }],
  } as StateInput;
}

const bindings: Binding[] = Array.from({ length: BINDINGS }, (_, i) => ({
  scaling_group_id: `asg-${pad(i)}`,
  instance_id: "roma-1",
  vpc_channel_id: `chan-${pad(i)}`,
  member_group_name: "web",
  drain_seconds: 0,
}));

/**
 * API_RATE_LIMIT is raised to its maximum, 1,000 calls/s per service, so that the measure is the
 * function's own concurrency and not the client-side pacing (default 20/s, which alone would stretch the
 * 200 gateway calls of this backfill to 10 s).
 */
const envOf = (emu: Emulator, concurrency: number, extra: Record<string, string> = {}) =>
  envFor(emu, bindings, {
    MAX_CONCURRENCY: String(concurrency),
    API_RATE_LIMIT: "1000",
    REQUEST_TIMEOUT_MS: "30000",
    LOG_LEVEL: "info",
    ...extra,
  });

function sample(
  emu: Emulator,
  kind: ScaleRun["kind"],
  concurrency: number,
  results: ChildResult[],
  wallMs: number,
  idealMs = (emu.control.calls().length * LATENCY_MS) / concurrency,
): ScaleRun {
  const calls = emu.control.calls();
  const error = results.find((r) => r.error)?.error;
  return {
    kind,
    concurrency,
    calls: calls.length,
    writes: calls.filter((c) => c.method !== "GET").length,
    members: emu.control
      .state()
      .gateways.reduce((n, g) => n + g.channels.reduce((m, c) => m + c.members.length, 0), 0),
    wallMs,
    wallSamples: [wallMs],
    idealMs,
    peakRssMb: results.length > 0 ? Math.max(...results.map((r) => r.maxRssKb / 1024)) : undefined,
    repeats: 1,
    invocations: results.length,
    ...(error ? { error } : {}),
  };
}

/** One row from repeated runs: the median wall time, the largest peak RSS, the first error. */
function combine(samples: ScaleRun[]): ScaleRun {
  const rss = samples.flatMap((s) => (s.peakRssMb === undefined ? [] : [s.peakRssMb]));
  const error = samples.find((s) => s.error)?.error;
  return {
    ...samples[0]!,
    wallMs: median(samples.map((s) => s.wallMs)),
    wallSamples: samples.map((s) => s.wallMs),
    peakRssMb: rss.length > 0 ? Math.max(...rss) : undefined,
    repeats: samples.length,
    ...(error ? { error } : {}),
  };
}

/**
 * A backfill of 10,000 members over 50 bindings (distinct groups and channels) against the emulator with
 * 20 ms per call, per concurrency: one invocation of the built bundle in a child process (its peak RSS is
 * the function's), the emulator in this one. Then the bare client (bench/bare-client.ts): the fewest
 * calls a correct backfill needs, each as early as it can go, for the floor the function is held to.
 */
export async function measureBackfill(
  bundles: { backfill: string; reconcile: string; bareClient: string },
  concurrencies: number[],
  fanOutConcurrency: number,
  repeats: number,
): Promise<ScaleRun[]> {
  const emu = await startEmulator({ memberQuota: 1_000, latencyMs: LATENCY_MS });
  const rows: ScaleRun[] = [];
  const fresh = () => {
    emu.control.reset();
    emu.control.load(state());
  };
  try {
    for (const concurrency of concurrencies) {
      const bundle: ScaleRun[] = [];
      const bare: ScaleRun[] = [];
      // Alternating, so that load on the machine hits both alike.
      for (let r = 0; r < repeats; r++) {
        fresh();
        const result = await runChild({
          bundle: bundles.backfill,
          name: "backfill",
          event: {},
          env: envOf(emu, concurrency),
          remainingMs: 600_000,
          requestId: `bench-backfill-${concurrency}-${r}`,
        });
        bundle.push(sample(emu, "bundle", concurrency, [result], result.invokeMs));
        fresh();
        const client = await runBareClient(bundles.bareClient, emu, concurrency);
        bare.push({
          ...sample(emu, "bare client", concurrency, [], client.wallMs),
          ...(client.error ? { error: client.error } : {}),
        });
      }
      rows.push(combine(bundle), combine(bare));
    }
    const fanOuts: ScaleRun[] = [];
    for (let r = 0; r < repeats; r++) {
      fresh();
      fanOuts.push(await fanOut(emu, bundles, fanOutConcurrency));
    }
    rows.push(combine(fanOuts));
  } finally {
    await emu.close();
  }
  return rows;
}

/**
 * The same 10,000 members through `reconcile` with fan-out on: the TIMER run hands shards of bindings to
 * async `backfill` invocations, which run here as concurrent child processes, one per shard, as
 * FunctionGraph would run them on instances of their own. Wall time: the reconcile invocation, then the
 * slowest shard. Ideal: the fan-out calls one after another, then the largest shard's calls × latency ÷
 * concurrency.
 */
async function fanOut(
  emu: Emulator,
  bundles: { backfill: string; reconcile: string },
  concurrency: number,
): Promise<ScaleRun> {
  const env = envOf(emu, concurrency, {
    BACKFILL_FUNCTION_URN: BACKFILL_URN,
    FANOUT_THRESHOLD: String(FANOUT.threshold),
    FANOUT_SHARD_SIZE: String(FANOUT.shardSize),
  });
  const job = { env, remainingMs: 600_000 };
  const reconcile = await runChild({
    ...job,
    bundle: bundles.reconcile,
    name: "reconcile",
    event: timerEvent(),
    requestId: "bench-fanout",
  });
  const fanOutCalls = emu.control.calls().length;
  const payloads = (
    emu.control.state().functions.find((f) => f.func_urn === BACKFILL_URN)?.invocations ?? []
  ).map((i) => i.body as { scaling_group_ids?: string[] });
  const shards = await Promise.all(
    payloads.map((event, i) =>
      runChild({ ...job, bundle: bundles.backfill, name: "backfill", event, requestId: `bench-shard-${i}` }),
    ),
  );
  // Shards' bindings are alike here, so a shard's calls are in proportion to its groups.
  const shardCalls = emu.control.calls().length - fanOutCalls;
  const largest = Math.max(...payloads.map((p) => p.scaling_group_ids?.length ?? 0));
  const idealMs = fanOutCalls * LATENCY_MS + (shardCalls * (largest / BINDINGS) * LATENCY_MS) / concurrency;
  return sample(
    emu,
    "fan-out",
    concurrency,
    [reconcile, ...shards],
    reconcile.invokeMs + Math.max(...shards.map((s) => s.invokeMs)),
    idealMs,
  );
}

function runBareClient(file: string, emu: Emulator, concurrency: number) {
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
    });
  });
}
