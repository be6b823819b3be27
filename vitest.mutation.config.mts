import { defineConfig } from "vitest/config";
import base from "./vitest.config.mjs";

// The tests that exercise the mutated modules (stryker.config.mjs) in this process: their own unit
// tests, and the in-process reconcile tests that drive the planner. The end-to-end, fault and bundle
// tests run the built bundles, which a mutant of src/ never reaches, and take minutes. A mutant that
// Stryker cannot pin to tests (one reached while a module loads) runs every file here: keep it short.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      "test/plan/**/*.test.ts",
      "test/discovery/**/*.test.ts",
      "test/cloud/error-codes.test.ts",
      "test/cloud/reliability.test.ts",
      "test/cloud/paging.test.ts",
      "test/reliability/dead-letter-codes.test.ts",
      "test/observability/scrub.test.ts",
      "test/cli/safe-output.test.ts",
      "test/sync/**/*.test.ts",
    ],
  },
});
