// @ts-check
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    "src/plan/**/*.ts",
    "src/discovery/**/*.ts",
    "src/cloud/classify.ts",
    "src/cloud/error-codes.ts",
    "src/observability/scrub.ts",
    "src/cli/safe-output.ts",
  ],
  testRunner: "vitest",
  vitest: { configFile: "vitest.mutation.config.mts", related: false },
  coverageAnalysis: "perTest",
  concurrency: 2,
  incremental: true,
  incrementalFile: "reports/stryker-incremental.json",
  reporters: ["clear-text", "progress-append-only", "html", "json"],
  htmlReporter: { fileName: "reports/mutation/index.html" },
  jsonReporter: { fileName: "reports/mutation/mutation.json" },
  tempDirName: ".tmp/stryker",
  // A mutant reached while a module loads runs every test file of the mutation config, in a fresh
  // module graph: on two busy cores that takes far longer than the dry run's time plus the default 5 s
  // (20 s still let slow runs pass for timeouts), and a mutant that only ran slowly must not pass for a
  // detected one. A real endless loop is cut sooner by the hit limit.
  timeoutMS: 60_000,
  thresholds: { high: 95, low: 90, break: null },
};
