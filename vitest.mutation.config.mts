import { defineConfig } from "vitest/config";
import base from "./vitest.config.mts";

// The unit tests that exercise the mutated modules (stryker.config.mjs). The end-to-end, fault and
// bundle tests run the built bundles, which a mutant of src/ never reaches, and take minutes.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: [
      "test/plan/**/*.test.ts",
      "test/discovery/**/*.test.ts",
      "test/cloud/**/*.test.ts",
      "test/observability/**/*.test.ts",
      "test/reliability/**/*.test.ts",
      "test/sync/**/*.test.ts",
      "test/config/**/*.test.ts",
      "test/cli/safe-output.test.ts",
    ],
  },
});
