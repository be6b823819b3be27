/**
 * `npm run bench` (after `npm run build`): bundle sizes, cold starts, API calls per scenario and a
 * 10,000-member backfill at scale, printed as one markdown table (docs/performance.md is
 * a copy of one run) and written to bench/.out/results.json. Figures, not assertions: nothing here fails
 * on a slow machine; the table says which targets hold.
 *
 * Knobs: BENCH_ROUNDS (fresh processes per cold-start variant, 31), BENCH_SCALE_REPEATS (runs per scale
 * row, 3), BENCH_CONCURRENCY (the MAX_CONCURRENCY values of the backfill, "4,10": the default and more),
 * BENCH_CPU_PROF (a directory: a `node --cpu-prof` profile of every function invocation's process),
 * BENCH_BASELINE (the `dist` directory of another build, e.g. main's: the converged section runs its
 * `reconcile` too, and the scale section its `backfill` paired with this build's at 1,000 calls/s),
 * BENCH_ONLY (comma-separated sections to run, of bundle, cold, calls, converged, scale, tags,
 * slow-start; default all).
 */
import { copyFile, mkdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { type CallCount, measureApiCalls, reads, writes } from "./api-calls";
import { measureColdInvoke } from "./cold-invoke";
import { buildNaiveBundle, measureColdStart, median } from "./cold-start";
import { CONVERGED_BINDINGS, type ConvergedRun, measureConvergedReconcile } from "./converged";
import {
  BINDINGS,
  DEFAULT_RATE,
  FANOUT,
  INSTANCES_PER_BINDING,
  LATENCY_MS,
  measureBackfill,
  RAISED_RATE,
  type ScaleRun,
} from "./scale";
import { measureSlowStart, RAMP_MEMBERS, RAMP_TIMER_S, RAMP_WINDOW_S, type RampBench } from "./slow-start";
import { measureTaggedFanOut, TAGGED_GROUPS, TAGGED_MEMBERS_PER_GROUP, type TaggedRun } from "./tags";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "bench", ".out");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? "4,10").split(",").map(Number);
const FANOUT_CONCURRENCY = 4;
const SCALE_REPEATS = Number(process.env.BENCH_SCALE_REPEATS ?? 5);
const BASELINE = process.env.BENCH_BASELINE ? path.resolve(process.env.BENCH_BASELINE) : undefined;
const SECTIONS = ["bundle", "cold", "calls", "converged", "scale", "tags", "slow-start"] as const;
type Section = (typeof SECTIONS)[number];
const ONLY = process.env.BENCH_ONLY?.split(",").map((s) => s.trim()) as Section[] | undefined;
const wanted = (section: Section) => ONLY === undefined || ONLY.includes(section);

const TARGET = {
  bundleKb: 200,
  coldVsBare: 1.15,
  coldVsNaive: 0.6,
  scaleVsFloor: 1.15,
  /** At the default pacing time is calls: the backfill against the floor's calls paced alike. */
  pacedVsFloor: 1.05,
  /** At 1,000 calls/s, against the baseline build (BENCH_BASELINE): no slower. */
  scaleVsBaseline: 1,
  /** Tag-bound groups through fan-out, against the bare client run shard by shard. */
  tagsVsFloor: 1.2,
  peakRssMb: 128,
};

/** The bundles `npm run build` makes (esbuild.config.mjs; the names are the contract's). */
const FUNCTIONS = ["scaling-events", "reconcile", "backfill"] as const;
type FunctionName = (typeof FUNCTIONS)[number];
/** The function bundles' aliases (esbuild.config.mjs), so the bare client signs as they do. */
const SHIMS = { lodash: "src/cloud/shims/lodash.ts", moment: "src/cloud/shims/moment.ts" };
type Row = [area: string, measure: string, measured: string, target: string, holds: string];

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (n: number) => `${Math.round(n).toLocaleString("en")} ms`;
const x = (n: number) => `${n.toFixed(2)}×`;
const yes = (ok: boolean) => (ok ? "yes" : "**no**");

function machine(): string {
  const cpus = os.cpus();
  return [
    `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown CPU"}`,
    `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `${os.type()} ${os.release()} ${os.arch()}`,
    `Node.js ${process.version}`,
    `load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(" ")} at start`,
  ].join(", ");
}

function render(rows: Row[]): string {
  const header: Row = ["area", "measure", "measured", "target", "holds"];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: Row) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}

function callRow(c: CallCount): Row {
  const parts = [
    c.asPages && `${c.asPages} AS`,
    c.memberPages && `${c.memberPages} member`,
    c.hookLists && `${c.hookLists} hook`,
    c.channelReads && `${c.channelReads} channel`,
    c.otherReads && `${c.otherReads} other`,
  ].filter(Boolean);
  const w = c.otherWrites ? `${c.posts} POST + ${c.otherWrites} other` : c.posts ? `${c.posts} POST` : "0";
  return [
    "API calls",
    c.scenario,
    `${reads(c)} reads (${parts.join(", ")}), writes ${w}`,
    `= ${c.minReads} reads (${c.minReadsText}), ${c.minWrites} writes`,
    yes(reads(c) === c.minReads && writes(c) === c.minWrites),
  ];
}

/** The converged reconcile of 1,000 bindings: its calls against the floor, and its wall time at each pacing. */
function convergedRows(runs: readonly ConvergedRun[], build: string): Row[] {
  const failed = runs.find((r) => r.error)?.error;
  const at = (rate: number) => runs.find((r) => r.rate === rate)!;
  const paced = at(DEFAULT_RATE);
  const raised = at(RAISED_RATE);
  const label = `converged reconcile, ${CONVERGED_BINDINGS.toLocaleString("en")} bindings × 2 members, ${build}`;
  return [
    [
      "API calls",
      label,
      `${paced.calls.toLocaleString("en")} calls, ${paced.writes} writes, ${paced.unchanged.toLocaleString("en")} unchanged${failed ? `, FAILED: ${failed}` : ""}`,
      `= ${paced.floorCalls.toLocaleString("en")} calls (1 member + 1 AS page a binding), 0 writes`,
      yes(runs.every((r) => r.calls === r.floorCalls && r.writes === 0 && !r.error)),
    ],
    [
      "converged",
      `${label}, wall time`,
      `${ms(paced.wallMs)} at ${DEFAULT_RATE} calls/s per service (default); ${ms(raised.wallMs)} at ${RAISED_RATE.toLocaleString("en")} calls/s; peak RSS ${Math.max(...runs.map((r) => r.peakRssMb)).toFixed(0)} MB`,
      "",
      "",
    ],
  ];
}

/**
 * The backfill against the floor: the median of the ratios of each run to the bare-client run beside it
 * (they alternate, so that load on the machine hits both alike).
 */
const floorRatio = (s: ScaleRun, floor: ScaleRun) =>
  median(s.wallSamples.map((w, i) => w / floor.wallSamples[i]!));

function scaleRows(s: ScaleRun, all: readonly ScaleRun[]): Row[] {
  const failed = s.error ? `, FAILED: ${s.error}` : "";
  const size = `${s.calls} calls, ${s.members.toLocaleString("en")} members${failed}`;
  const pacing =
    s.rate === DEFAULT_RATE ? `${DEFAULT_RATE} calls/s (default)` : `${s.rate.toLocaleString("en")} calls/s`;
  const paired = (kind: ScaleRun["kind"]) =>
    all.find((f) => f.kind === kind && f.concurrency === s.concurrency && f.rate === s.rate);
  if (s.kind === "bare client") {
    return [
      [
        "scale",
        `bare signed client, fewest calls, concurrency ${s.concurrency}, ${pacing}`,
        `${ms(s.wallMs)}; ${size}`,
        "(floor)",
        "",
      ],
    ];
  }
  if (s.kind === "baseline") {
    const bundle = paired("bundle")!;
    const ratio = floorRatio(bundle, s);
    return [
      [
        "scale",
        `backfill against the baseline build, MAX_CONCURRENCY ${s.concurrency}, ${pacing}`,
        `${ms(bundle.wallMs)} = ${x(ratio)} baseline ${ms(s.wallMs)} (${s.calls} calls); ratios ${bundle.wallSamples.map((w, i) => (w / s.wallSamples[i]!).toFixed(2)).join(", ")}`,
        `≤ ${x(TARGET.scaleVsBaseline)} baseline`,
        yes(ratio <= TARGET.scaleVsBaseline && !s.error && !bundle.error),
      ],
    ];
  }
  if (s.kind === "fan-out") {
    const label = `fan-out: reconcile → ${s.invocations - 1} backfills, concurrency ${s.concurrency}`;
    return [
      [
        "scale",
        label,
        `${ms(s.wallMs)} = ${x(s.wallMs / s.idealMs)} ideal ${ms(s.idealMs)}; ${size}`,
        "",
        "",
      ],
      rssRow(s, label),
    ];
  }
  const label = `backfill, MAX_CONCURRENCY ${s.concurrency}, ${pacing}`;
  const floor = paired("bare client")!;
  const ratio = floorRatio(s, floor);
  const target = s.rate === DEFAULT_RATE ? TARGET.pacedVsFloor : TARGET.scaleVsFloor;
  return [
    [
      "scale",
      label,
      `${ms(s.wallMs)} = ${x(ratio)} floor; ${size}`,
      `≤ ${x(target)} floor, calls = floor's ${floor.calls}`,
      yes(ratio <= target && s.calls === floor.calls && !s.error && !floor.error),
    ],
    rssRow(s, label),
  ];
}

function rssRow(s: ScaleRun, label: string): Row {
  return [
    "scale",
    `peak RSS, ${label}`,
    `${s.peakRssMb!.toFixed(0)} MB`,
    `≤ ${TARGET.peakRssMb} MB`,
    yes(s.peakRssMb! <= TARGET.peakRssMb),
  ];
}

function taggedRows(t: TaggedRun): Row[] {
  const ratio = t.wallMs / t.bareMs;
  const failed = t.error ? `, FAILED: ${t.error}` : "";
  const label = `tags: ${TAGGED_GROUPS.toLocaleString("en")} tagged groups × ${TAGGED_MEMBERS_PER_GROUP}, reconcile → ${t.shards} backfills, concurrency ${t.concurrency}`;
  const perInvocation = Math.ceil(TAGGED_GROUPS / 1000);
  return [
    [
      "scale",
      label,
      `${ms(t.wallMs)} = ${x(ratio)} bare client ${ms(t.bareMs)}; ${t.calls} calls, ${t.members.toLocaleString("en")} members${failed}`,
      `≤ ${x(TARGET.tagsVsFloor)} bare client`,
      yes(ratio <= TARGET.tagsVsFloor && !t.error),
    ],
    [
      "scale",
      "tags: discovery calls",
      `${t.discoveryCalls} query-by-tag calls over ${t.invocations} invocations`,
      `⌈groups/1000⌉ = ${perInvocation} per invocation`,
      yes(t.discoveryCalls <= perInvocation * t.invocations),
    ],
    [
      "scale",
      `peak RSS, ${label}`,
      `${t.peakRssMb.toFixed(0)} MB`,
      `≤ ${TARGET.peakRssMb} MB`,
      yes(t.peakRssMb <= TARGET.peakRssMb),
    ],
  ];
}

/**
 * Slow start's row: what 1,000 members ramping cost, run by run (the add, then each timer tick), and
 * whether the ramp kept its promises: at most 5 raises a member, every member at its weight at the
 * end, no write once ramped.
 */
function slowStartRows(r: RampBench): Row[] {
  const [add, ...ticks] = r.runs;
  const raising = ticks.filter((t) => t.ramping > 0);
  const last = ticks.at(-1)!;
  const raises = ticks.reduce((n, t) => n + t.ramping, 0);
  const writes = r.runs.reduce((n, t) => n + t.posts, 0);
  const failed = r.runs.find((t) => t.error)?.error;
  const perRun = ticks.map((t) => `${t.at} s: ${t.posts} POST, ${ms(t.wallMs)}`).join("; ");
  return [
    [
      "slow start",
      `${RAMP_MEMBERS.toLocaleString("en")} members, ${RAMP_WINDOW_S / 60}-min window, ${RAMP_TIMER_S / 60}-min timer`,
      `${writes} writes over ${r.runs.length} runs: add ${add!.posts} POST (${ms(add!.wallMs)}), ` +
        `${raising.length} raising runs × ${raising[0]?.posts ?? 0} POST, ${raises.toLocaleString("en")} raises; ` +
        `converged run ${last.posts} writes (${ms(last.wallMs)})${failed ? `, FAILED: ${failed}` : ""}`,
      "≤ 5 raises a member, 0 writes once ramped",
      yes(raises <= 5 * RAMP_MEMBERS && last.posts === 0 && r.notRamped === 0 && !failed),
    ],
    ["slow start", "timer runs after the add (function clock)", perRun, "", ""],
  ];
}

/** A copy of the baseline build's bundle of this function (BENCH_BASELINE), or undefined without one. */
async function baselineBundle(name: FunctionName): Promise<string | undefined> {
  if (BASELINE === undefined) return undefined;
  const copy = path.join(out, "bundles", `baseline-${name}.js`);
  await copyFile(path.join(BASELINE, name, "index.js"), copy);
  return copy;
}

async function main(): Promise<void> {
  const started = performance.now();
  const machineText = machine();
  await rm(out, { recursive: true, force: true });
  await mkdir(path.join(out, "bundles"), { recursive: true });

  // Measure copies: a `npm run build` elsewhere cannot pull the bundles away mid-run.
  const bundles = {} as Record<FunctionName, string>;
  const sizes: { name: string; bytes: number; zipBytes: number }[] = [];
  for (const name of FUNCTIONS) {
    const file = path.join(root, "dist", name, "index.js");
    bundles[name] = path.join(out, "bundles", `${name}.js`);
    await copyFile(file, bundles[name]);
    sizes.push({
      name,
      bytes: (await stat(file)).size,
      zipBytes: (await stat(path.join(root, "dist", `${name}.zip`))).size,
    });
  }
  const rows: Row[] = [];
  const results: Record<string, unknown> = { machine: machineText };
  const naive = path.join(out, "naive.js");
  const naiveBytes = wanted("bundle") || wanted("cold") ? await buildNaiveBundle(naive) : 0;
  if (wanted("bundle")) {
    for (const s of sizes) {
      rows.push([
        "bundle",
        s.name,
        `${kb(s.bytes)} minified (zip ${kb(s.zipBytes)})`,
        `≤ ${TARGET.bundleKb} KB`,
        yes(s.bytes <= TARGET.bundleKb * 1024),
      ]);
    }
    rows.push(["bundle", "naive reference", kb(naiveBytes), "", ""]);
    Object.assign(results, { sizes, naiveBytes });
  }

  if (wanted("cold")) {
    console.error(`cold start: ${ROUNDS} rounds…`);
    const cold = measureColdStart(
      [
        { name: "bare" },
        ...FUNCTIONS.map((name) => ({ name, file: bundles[name] })),
        { name: "naive", file: naive },
      ],
      ROUNDS,
    );
    const bare = cold.find((c) => c.name === "bare")!.medianMs;
    const naiveMs = cold.find((c) => c.name === "naive")!.medianMs;
    const coldInvoke = await measureColdInvoke(bundles["scaling-events"], 15);
    rows.push(["cold start", "bare `node -e 0`", ms(bare), "", ""]);
    for (const c of cold.filter((c) => c.name !== "bare" && c.name !== "naive")) {
      const vsBare = c.medianMs / bare;
      const vsNaive = c.medianMs / naiveMs;
      rows.push([
        "cold start",
        `require ${c.name}`,
        `${ms(c.medianMs)} = ${x(vsBare)} bare, ${x(vsNaive)} naive`,
        `≤ ${x(TARGET.coldVsBare)} bare, ≤ ${x(TARGET.coldVsNaive)} naive`,
        yes(vsBare <= TARGET.coldVsBare && vsNaive <= TARGET.coldVsNaive),
      ]);
    }
    rows.push([
      "cold start",
      "require naive reference",
      `${ms(naiveMs)} = ${x(naiveMs / bare)} bare`,
      "",
      "",
    ]);
    rows.push([
      "cold start",
      "first answer, fresh scaling-events",
      `${ms(coldInvoke.totalMs)} from process start (require ${ms(coldInvoke.requireMs)}, converged run of ${coldInvoke.calls} calls ${ms(coldInvoke.invokeMs)}), RSS ${coldInvoke.peakRssMb.toFixed(0)} MB`,
      "",
      "",
    ]);
    Object.assign(results, { cold, coldInvoke });
  }

  if (wanted("calls")) {
    console.error("API calls…");
    const calls = await measureApiCalls(bundles);
    rows.push(...calls.map(callRow));
    results.calls = calls;
  }

  if (wanted("converged")) {
    console.error(`converged reconcile of ${CONVERGED_BINDINGS.toLocaleString("en")} bindings…`);
    const converged = await measureConvergedReconcile(bundles.reconcile);
    rows.push(...convergedRows(converged, "this build"));
    results.converged = converged;
    const baseline = await baselineBundle("reconcile");
    if (baseline !== undefined) {
      const before = await measureConvergedReconcile(baseline);
      rows.push(...convergedRows(before, "baseline build"));
      results.convergedBaseline = before;
    }
  }

  const bareClient = path.join(out, "bare-client.js");
  if (wanted("scale") || wanted("tags")) {
    await build({
      entryPoints: [path.join(root, "bench", "bare-client.ts")],
      outfile: bareClient,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      logLevel: "error",
      alias: { lodash: path.join(root, SHIMS.lodash), moment: path.join(root, SHIMS.moment) },
    });
  }

  if (wanted("scale")) {
    console.error("backfill at scale…");
    const baseline = await baselineBundle("backfill");
    const scale = await measureBackfill(
      { backfill: bundles.backfill, reconcile: bundles.reconcile, bareClient, baseline },
      CONCURRENCIES,
      FANOUT_CONCURRENCY,
      SCALE_REPEATS,
    );
    rows.push(...scale.flatMap((s) => scaleRows(s, scale)));
    results.scale = scale;
  }

  if (wanted("tags")) {
    console.error("tag-bound groups through fan-out…");
    const tagged = await measureTaggedFanOut(
      { backfill: bundles.backfill, reconcile: bundles.reconcile, bareClient },
      FANOUT_CONCURRENCY,
      SCALE_REPEATS,
    );
    rows.push(...taggedRows(tagged));
    results.tagged = tagged;
  }

  if (wanted("slow-start")) {
    console.error("slow start across a window…");
    const ramp = await measureSlowStart({
      reconcile: bundles.reconcile,
      scalingEvents: bundles["scaling-events"],
    });
    rows.push(...slowStartRows(ramp));
    results.slowStart = ramp;
  }

  const table = render(rows);
  const members = (BINDINGS * INSTANCES_PER_BINDING).toLocaleString("en");
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`\nchannel-autoscaler benchmarks, ${new Date().toISOString().slice(0, 10)}: ${machineText}\n`);
  console.log(table);
  const notes: [Section, string][] = [
    [
      "converged",
      `Converged: one reconcile invocation of ${CONVERGED_BINDINGS.toLocaleString("en")} bindings (each its own group and channel, 2 instances and their 2 members) in a child process, at ${LATENCY_MS} ms per call, MAX_CONCURRENCY 4, once at each pacing (bench/converged.ts).`,
    ],
    [
      "cold",
      `Cold start: wall time of whole fresh processes, median of ${ROUNDS} each, round-robin after warm-up.`,
    ],
    [
      "scale",
      `Scale: a backfill of ${members} members (${BINDINGS} bindings × ${INSTANCES_PER_BINDING} instances, distinct groups and channels) against the emulator at ${LATENCY_MS} ms per call, one invocation in a child process; median of ${SCALE_REPEATS} runs, largest peak RSS.`,
    ],
    [
      "scale",
      `Floor: the bare signed client (bench/bare-client.ts), the fewest calls a correct backfill needs, each as early as it can go, with the same signer and nothing else; a backfill's ratio is the median of its runs' ratios to the floor's run beside them.`,
    ],
    [
      "scale",
      `API_RATE_LIMIT=1000 for these runs but the ${DEFAULT_RATE} calls/s ones (the default, per service), where the floor is paced alike. Fan-out ideal = the fan-out calls × ${LATENCY_MS} ms, then the largest shard's calls × ${LATENCY_MS} ms ÷ concurrency.${BASELINE ? ` Baseline: ${BASELINE}/backfill, run beside each backfill run.` : ""}`,
    ],
    [
      "scale",
      `Fan-out: FANOUT_THRESHOLD=${FANOUT.threshold}, FANOUT_SHARD_SIZE=${FANOUT.shardSize}; the shards run as concurrent processes after the reconcile.`,
    ],
    [
      "tags",
      `Tags: BINDINGS_FROM_TAGS=true and no BINDINGS; every invocation discovers the tagged groups; shards run one at a time (as on instances of their own), wall time = reconcile + slowest shard; the bare client runs each shard's bindings the same way at the same concurrency, without discovery or fan-out (bench/tags.ts).`,
    ],
    [
      "slow-start",
      `Slow start: weight 10, slow_start_seconds ${RAMP_WINDOW_S}; the add is a scaling-events run, then the reconcile bundle runs once a timer period (${RAMP_TIMER_S} s) on the function's clock, the first half a period after the add, each in a child process whose clock runs that far ahead; ${LATENCY_MS} ms per call (bench/slow-start.ts).`,
    ],
  ];
  const footer = `${seconds} s in all${ONLY ? ` (BENCH_ONLY=${ONLY.join(",")})` : ""}.`;
  const said = notes.filter(([section]) => wanted(section)).map(([, note]) => note);
  console.log(`\n${[...said, footer].join("\n")}`);
  await writeFile(path.join(out, "results.json"), `${JSON.stringify({ ...results, rows }, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
