// Runs one built function bundle in a process of its own, as FunctionGraph would, so a test can kill it
// at any point. Input: CHILD_INVOCATION = {"name", "event", "env", "remainingMs"?} (JSON). Output: the
// bundle's log lines, then one line {"child_result": {"summary"} | {"error"}}.
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);
const { name, event, env, remainingMs = 60_000 } = JSON.parse(process.env.CHILD_INVOCATION ?? "{}");
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
handler(event, context).then(
  (summary) => console.log(JSON.stringify({ child_result: { summary } })),
  (error) => {
    console.log(JSON.stringify({ child_result: { error: { name: error.name, message: error.message } } }));
    process.exitCode = 1;
  },
);
