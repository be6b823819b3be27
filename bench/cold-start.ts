import { spawnSync } from "node:child_process";
import { build } from "esbuild";

/**
 * The naive reference bundle, built the way the research measured it (minified CommonJS, target node20,
 * `import * as z from "zod"`): sdk-core's ClientBuilder with its axios, log4js and form-data stack.
 */
export async function buildNaiveBundle(outfile: string): Promise<number> {
  const result = await build({
    entryPoints: [new URL("./naive-handler.ts", import.meta.url).pathname],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    minify: true,
    legalComments: "none",
    logLevel: "error",
    metafile: true,
  });
  return Object.values(result.metafile.outputs)[0]!.bytes;
}

export interface Variant {
  name: string;
  /** The bundle to require; none: a bare `node -e 0`. */
  file?: string;
}

export interface ColdStart {
  name: string;
  medianMs: number;
  samples: number[];
}

export const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * Wall time of whole fresh processes, `node -e "require(bundle)"` against a bare `node -e 0`, as the
 * research measured it: round-robin over the variants so that load on the machine hits them alike, after
 * warm-up rounds that fill the file cache; the median of each.
 */
export function measureColdStart(variants: Variant[], rounds: number, warmup = 3): ColdStart[] {
  const samples = variants.map(() => [] as number[]);
  for (let round = -warmup; round < rounds; round++) {
    variants.forEach((v, i) => {
      const code = v.file === undefined ? "0" : `require(${JSON.stringify(v.file)})`;
      const started = performance.now();
      const run = spawnSync(process.execPath, ["-e", code], { stdio: ["ignore", "ignore", "pipe"] });
      const elapsed = performance.now() - started;
      if (run.status !== 0) throw new Error(`${v.name}: node exited with ${run.status}\n${run.stderr}`);
      if (round >= 0) samples[i]!.push(elapsed);
    });
  }
  return variants.map((v, i) => ({ name: v.name, medianMs: median(samples[i]!), samples: samples[i]! }));
}
