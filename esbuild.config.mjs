// Builds one CommonJS bundle per function (dist/<name>/index.js, `exports.handler`) and a zip with
// index.js at its root (dist/<name>.zip), then the operator CLI (dist/cli/index.js, not zipped). Zips
// are byte-for-byte reproducible: fixed timestamp, mode and order, so Terraform sees no change when
// the code did not change.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { build } from "esbuild";
import yazl from "yazl";

export const FUNCTIONS = ["scaling-events", "reconcile", "backfill"];

// sdk-core's signer uses one lodash and one moment function; these shims are exactly those
// (test/cloud/shims.test.ts compares them with the real libraries).
const SHIMS = { lodash: "./src/cloud/shims/lodash.ts", moment: "./src/cloud/shims/moment.ts" };

// A local-time date: yazl writes DOS timestamps in local time, so this is the same bytes in every TZ.
const FIXED_MTIME = new Date(2000, 0, 1, 0, 0, 0);

export async function zipFile(buffer, name) {
  const zip = new yazl.ZipFile();
  zip.addBuffer(buffer, name, {
    mtime: FIXED_MTIME,
    mode: 0o100644,
    compress: true,
    forceDosTimestamp: true,
  });
  zip.end();
  const chunks = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

export async function buildAll({ outdir = "dist", quiet = false } = {}) {
  await rm(outdir, { recursive: true, force: true });
  const report = [];
  for (const name of FUNCTIONS) {
    const outfile = `${outdir}/${name}/index.js`;
    const result = await build({
      entryPoints: [`functions/${name}/index.ts`],
      outfile,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "cjs",
      minify: true,
      legalComments: "none",
      sourcemap: "external",
      metafile: true,
      logLevel: "warning",
      alias: SHIMS,
    });
    await writeFile(`${outdir}/${name}/meta.json`, JSON.stringify(result.metafile));
    const code = await readFile(outfile);
    await mkdir(outdir, { recursive: true });
    const zip = await zipFile(code, "index.js");
    await writeFile(`${outdir}/${name}.zip`, zip);
    report.push({ name, bytes: code.length, zipBytes: zip.length });
  }
  const cli = await buildCli(outdir);
  if (!quiet) {
    for (const r of report)
      console.log(
        `dist/${r.name}/index.js ${(r.bytes / 1024).toFixed(1)} KB  zip ${(r.zipBytes / 1024).toFixed(1)} KB`,
      );
    console.log(`dist/cli/index.js ${(cli.bytes / 1024).toFixed(1)} KB  (the operator CLI, not deployed)`);
  }
  return report;
}

/** The operator CLI (bin/channel-autoscaler.cjs loads it): one CommonJS file, never zipped or deployed. */
export async function buildCli(outdir = "dist") {
  const outfile = `${outdir}/cli/index.js`;
  await build({
    entryPoints: ["src/cli/index.ts"],
    outfile,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    legalComments: "none",
    logLevel: "warning",
    alias: SHIMS,
  });
  return { bytes: (await readFile(outfile)).length };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildAll();
}
