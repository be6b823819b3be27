// Runs one built function bundle in a process of its own, as FunctionGraph would, so a test can kill it
// at any point. Input: CHILD_INVOCATION = {"name", "event", "env", "remainingMs"?, "clockOffsetMs"?}
// (JSON). Output: the bundle's log lines, then one line {"child_result": {"summary"} | {"error"},
// "max_rss_kb"}.
//
// clockOffsetMs runs the bundle on a clock that far ahead: Date.now, which the product's decisions read
// (ages, tags, cooldowns, timeouts), while request signatures keep the wall clock (the emulator checks
// them against it). A soak moves it together with the emulator's clock to let minutes pass at once.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const {
  name,
  event,
  env,
  remainingMs = 60_000,
  clockOffsetMs = 0,
} = JSON.parse(process.env.CHILD_INVOCATION ?? "{}");
if (clockOffsetMs !== 0) {
  const wall = Date.now;
  Date.now = () => wall() + clockOffsetMs;
}
const { handler } = require(path.resolve(import.meta.dirname, "../../dist", name, "index.js"));
const started = Date.now();
const context = {
  getRequestID: () => "req-child",
  getRemainingTimeInMilliSeconds: () => remainingMs - (Date.now() - started),
  getSecurityAccessKey: () => "",
  getSecuritySecretKey: () => "",
  getSecurityToken: () => "",
  getUserData: (key) => env[key],
  getFunctionName: () => `channel-autoscaler-${name}`,
  getLogger: () => console,
};
const report = (result) =>
  console.log(JSON.stringify({ child_result: result, max_rss_kb: process.resourceUsage().maxRSS }));
handler(event, context).then(
  (summary) => report({ summary }),
  (error) => {
    report({ error: { name: error.name, message: error.message } });
    process.exitCode = 1;
  },
);
