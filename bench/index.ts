/**
 * `npm run bench` (after `npm run build`): bundle sizes, cold starts, API calls per scenario and a
 * 10,000-member backfill at scale, printed as one markdown table (the README's "Performance" section is
 * a copy of one run) and written to bench/.out/results.json. Figures, not assertions: nothing here fails
 * on a slow machine; the table says which targets hold.
 *
 * Knobs: BENCH_ROUNDS (fresh processes per cold-start variant, 31), BENCH_SCALE_REPEATS (runs per scale
 * row, 3), BENCH_CONCURRENCY (the MAX_CONCURRENCY values of the backfill, "4,10": the default and more),
 * BENCH_CPU_PROF (a directory: a `node --cpu-prof` profile of every function invocation's process).
 */
import { copyFile, mkdir, rm, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { build } from "esbuild";
import { type CallCount, measureApiCalls, reads, writes } from "./api-calls";
import { measureColdInvoke } from "./cold-invoke";
import { buildNaiveBundle, measureColdStart, median } from "./cold-start";
import { BINDINGS, FANOUT, INSTANCES_PER_BINDING, LATENCY_MS, measureBackfill, type ScaleRun } from "./scale";
import { measureTaggedFanOut, TAGGED_GROUPS, TAGGED_MEMBERS_PER_GROUP, type TaggedRun } from "./tags";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, "bench", ".out");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 31);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? "4,10").split(",").map(Number);
const FANOUT_CONCURRENCY = 4;
const SCALE_REPEATS = Number(process.env.BENCH_SCALE_REPEATS ?? 3);

const TARGET = {
  bundleKb: 200,
  coldVsBare: 1.15,
  coldVsNaive: 0.6,
  scaleVsFloor: 1.15,
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
    `≤ ${c.minReads} reads, writes ${c.minWrites === 0 ? "0" : `≤ ${c.minWrites} POST`}`,
    yes(reads(c) <= c.minReads && writes(c) <= c.minWrites),
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
  if (s.kind === "bare client") {
    return [
      [
        "scale",
        `bare signed client, fewest calls, concurrency ${s.concurrency}`,
        `${ms(s.wallMs)}; ${size}`,
        "(floor)",
        "",
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
  const label = `backfill, MAX_CONCURRENCY ${s.concurrency}`;
  const floor = all.find((f) => f.kind === "bare client" && f.concurrency === s.concurrency)!;
  const ratio = floorRatio(s, floor);
  return [
    [
      "scale",
      label,
      `${ms(s.wallMs)} = ${x(ratio)} floor; ${size}`,
      `≤ ${x(TARGET.scaleVsFloor)} floor`,
      yes(ratio <= TARGET.scaleVsFloor && !s.error && !floor.error),
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
  const naive = path.join(out, "naive.js");
  const naiveBytes = await buildNaiveBundle(naive);
  const bareClient = path.join(out, "bare-client.js");
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

  console.error("API calls…");
  const calls = await measureApiCalls(bundles);

  console.error("backfill at scale…");
  const scale = await measureBackfill(
    { backfill: bundles.backfill, reconcile: bundles.reconcile, bareClient },
    CONCURRENCIES,
    FANOUT_CONCURRENCY,
    SCALE_REPEATS,
  );

  console.error("tag-bound groups through fan-out…");
  const tagged = await measureTaggedFanOut(
    { backfill: bundles.backfill, reconcile: bundles.reconcile, bareClient },
    FANOUT_CONCURRENCY,
    SCALE_REPEATS,
  );

  const rows: Row[] = [];
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
  rows.push(["cold start", "require naive reference", `${ms(naiveMs)} = ${x(naiveMs / bare)} bare`, "", ""]);
  rows.push([
    "cold start",
    "first answer, fresh scaling-events",
    `${ms(coldInvoke.totalMs)} from process start (require ${ms(coldInvoke.requireMs)}, converged run of ${coldInvoke.calls} calls ${ms(coldInvoke.invokeMs)}), RSS ${coldInvoke.peakRssMb.toFixed(0)} MB`,
    "",
    "",
  ]);
  rows.push(...calls.map(callRow));
  rows.push(...scale.flatMap((s) => scaleRows(s, scale)));
  rows.push(...taggedRows(tagged));

  const table = render(rows);
  const members = (BINDINGS * INSTANCES_PER_BINDING).toLocaleString("en");
  const seconds = ((performance.now() - started) / 1000).toFixed(0);
  console.log(`\nchannel-autoscaler benchmarks, ${new Date().toISOString().slice(0, 10)}: ${machineText}\n`);
  console.log(table);
  const notes = [
    `Cold start: wall time of whole fresh processes, median of ${ROUNDS} each, round-robin after warm-up.`,
    `Scale: a backfill of ${members} members (${BINDINGS} bindings × ${INSTANCES_PER_BINDING} instances, distinct groups and channels) against the emulator at ${LATENCY_MS} ms per call, one invocation in a child process; median of ${SCALE_REPEATS} runs, largest peak RSS.`,
    `Floor: the bare signed client (bench/bare-client.ts), the fewest calls a correct backfill needs, each as early as it can go, with the same signer and nothing else; a backfill's ratio is the median of its runs' ratios to the floor's run beside them.`,
    `API_RATE_LIMIT=1000 for these runs (default 20 calls/s per service). Fan-out ideal = the fan-out calls × ${LATENCY_MS} ms, then the largest shard's calls × ${LATENCY_MS} ms ÷ concurrency.`,
    `Fan-out: FANOUT_THRESHOLD=${FANOUT.threshold}, FANOUT_SHARD_SIZE=${FANOUT.shardSize}; the shards run as concurrent processes after the reconcile.`,
    `Tags: BINDINGS_FROM_TAGS=true and no BINDINGS; every invocation discovers the tagged groups; shards run one at a time (as on instances of their own), wall time = reconcile + slowest shard; the bare client runs each shard's bindings the same way at the same concurrency, without discovery or fan-out (bench/tags.ts).`,
    `${seconds} s in all.`,
  ];
  console.log(`\n${notes.join("\n")}`);
  await writeFile(
    path.join(out, "results.json"),
    `${JSON.stringify({ machine: machineText, sizes, naiveBytes, cold, coldInvoke, calls, scale, tagged, rows }, null, 2)}\n`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
