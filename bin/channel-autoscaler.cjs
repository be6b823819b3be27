#!/usr/bin/env node
// Loads the bundled CLI (dist/cli/index.js, built by `npm run build`).
const { existsSync } = require("node:fs");
const path = require("node:path");

const bundle = path.join(__dirname, "..", "dist", "cli", "index.js");
if (!existsSync(bundle)) {
  process.stderr.write(`channel-autoscaler: ${bundle} is missing; run npm run build first\n`);
  process.exit(2);
}
require(bundle).runFromProcess();
