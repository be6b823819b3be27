// Runs one invocation of a built bundle in a process of its own, so its peak memory can be measured
// (issue 14): `node bundle-child.mjs` with BUNDLE_CHILD_INPUT = {bundle, event, env, credentials,
// remainingMs}. The bundle writes its log lines to stdout as in FunctionGraph; the last line is
// {"bundle_child": {summary, error, max_rss_kb}}. Plain JavaScript: no loader adds to the measure.
import { createRequire } from "node:module";
import { inspect } from "node:util";

const require = createRequire(import.meta.url);
const input = JSON.parse(process.env.BUNDLE_CHILD_INPUT ?? "{}");
const { handler } = require(input.bundle);
const started = Date.now();
const context = {
  getRequestID: () => "req-child",
  getRemainingTimeInMilliSeconds: () => input.remainingMs - (Date.now() - started),
  getSecurityAccessKey: () => input.credentials?.ak ?? "",
  getSecuritySecretKey: () => input.credentials?.sk ?? "",
  getSecurityToken: () => input.credentials?.token ?? "",
  getUserData: (key) => input.env[key],
  getFunctionName: () => "channel-autoscaler-child",
  getLogger: () => console,
};

let summary = null;
let error = null;
try {
  summary = await handler(input.event, context);
} catch (err) {
  error = {
    message: String(err?.message),
    stack: String(err?.stack),
    inspected: inspect(err, { showHidden: true, depth: 20 }),
    json: JSON.stringify(err),
  };
}
process.stdout.write(
  `\n${JSON.stringify({ bundle_child: { summary, error, max_rss_kb: process.resourceUsage().maxRSS } })}\n`,
);
