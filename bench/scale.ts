import { fork } from "node:child_process";
import { DEFAULT_TUNING, TUNABLES } from "../src/config/tuning";
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
/** API_RATE_LIMIT's default (calls per second per service), and the bench's raised rate, its maximum. */
export const DEFAULT_RATE = DEFAULT_TUNING.apiRateLimit;
export const RAISED_RATE = TUNABLES.apiRateLimit.max;
/** MAX_CONCURRENCY's default: the paced rows run at it. */
const DEFAULT_CONCURRENCY = DEFAULT_TUNING.maxConcurrency;
export const BINDINGS = 50;
export const INSTANCES_PER_BINDING = 200;
/** Fan-out settings for the fan-out run: two shards of 25 bindings. */
export const FANOUT = { threshold: 25, shardSize: 25 };
const BACKFILL_URN = "urn:fss:cn-north-4:proj:function:default:channel-autoscaler-backfill:latest";

export interface ScaleRun {
  /** `baseline`: the bundle the run is compared with (BENCH_BASELINE), as `bundle`. */
  kind: "bundle" | "bare client" | "fan-out" | "baseline";
  concurrency: number;
  /** Calls per second per service the run was paced at (API_RATE_LIMIT). */
  rate: number;
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
 * function's own concurrency and not the client-side pacing (default 20/s, which alone stretches the 150
 * gateway calls of this backfill to 6.5 s); the paced rows leave it at its default.
 */
const envOf = (emu: Emulator, concurrency: number, rate: number, extra: Record<string, string> = {}) => {
  const { API_RATE_LIMIT: _raised, ...env } = envFor(emu, bindings, {
    MAX_CONCURRENCY: String(concurrency),
    REQUEST_TIMEOUT_MS: "30000",
    LOG_LEVEL: "info",
    ...extra,
  });
  return rate === DEFAULT_RATE ? env : { ...env, API_RATE_LIMIT: String(rate) };
};

function sample(
  emu: Emulator,
  kind: ScaleRun["kind"],
  concurrency: number,
  rate: number,
  results: ChildResult[],
  wallMs: number,
  idealMs = (emu.control.calls().length * LATENCY_MS) / concurrency,
): ScaleRun {
  const calls = emu.control.calls();
  const error = results.find((r) => r.error)?.error;
  return {
    kind,
    concurrency,
    rate,
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
 * calls a correct backfill needs, each as early as it can go, for the floor the function is held to;
 * and, given `baseline` (another build's backfill bundle), that bundle, for the paired comparison with
 * it. Runs alternate, so that load on the machine hits all alike. At 1,000 calls/s per service, per
 * concurrency; then at the default pacing (20 calls/s per service) at the default concurrency, where
 * the rate bounds the run, against the bare client paced alike.
 */
export async function measureBackfill(
  bundles: { backfill: string; reconcile: string; bareClient: string; baseline: string | undefined },
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
  const bundleRun = async (
    file: string,
    kind: ScaleRun["kind"],
    concurrency: number,
    rate: number,
    r: number,
  ) => {
    fresh();
    const result = await runChild({
      bundle: file,
      name: "backfill",
      event: {},
      env: envOf(emu, concurrency, rate),
      remainingMs: 600_000,
      requestId: `bench-backfill-${kind}-${concurrency}-${rate}-${r}`,
    });
    return sample(emu, kind, concurrency, rate, [result], result.invokeMs);
  };
  const bareRun = async (concurrency: number, rate: number) => {
    fresh();
    const client = await runBareClient(bundles.bareClient, emu, concurrency, rate);
    return {
      ...sample(emu, "bare client", concurrency, rate, [], client.wallMs),
      ...(client.error ? { error: client.error } : {}),
    };
  };
  try {
    const paced = (concurrency: number, rate: number, withBaseline: boolean) => ({
      concurrency,
      rate,
      withBaseline,
    });
    const settings = [
      ...concurrencies.map((c) => paced(c, RAISED_RATE, bundles.baseline !== undefined)),
      paced(DEFAULT_CONCURRENCY, DEFAULT_RATE, false),
    ];
    for (const { concurrency, rate, withBaseline } of settings) {
      const bundle: ScaleRun[] = [];
      const bare: ScaleRun[] = [];
      const baseline: ScaleRun[] = [];
      for (let r = 0; r < repeats; r++) {
        bundle.push(await bundleRun(bundles.backfill, "bundle", concurrency, rate, r));
        bare.push(await bareRun(concurrency, rate));
        if (withBaseline) baseline.push(await bundleRun(bundles.baseline!, "baseline", concurrency, rate, r));
      }
      rows.push(combine(bundle), combine(bare), ...(withBaseline ? [combine(baseline)] : []));
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
  const env = envOf(emu, concurrency, RAISED_RATE, {
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
    RAISED_RATE,
    [reconcile, ...shards],
    reconcile.invokeMs + Math.max(...shards.map((s) => s.invokeMs)),
    idealMs,
  );
}

function runBareClient(file: string, emu: Emulator, concurrency: number, rate: number) {
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
      ...(rate === RAISED_RATE ? {} : { ratePerSecond: rate }),
    });
  });
}
