// One invocation of a built bundle in a process of its own, so that its figures (wall time, peak RSS)
// are the function's alone: the emulator and the benchmark stay in the parent. Plain CommonJS run by
// plain node, as FunctionGraph runs index.js. The job arrives over IPC; the result goes back the same way.
"use strict";

process.once("message", async (job) => {
  // A run some minutes from now, without waiting for them: the function reads its clock through
  // Date.now (the emulator, in the parent, stamps members with the real one).
  if (job.clockAheadMs) {
    const realNow = Date.now;
    Date.now = () => realNow() + job.clockAheadMs;
  }
  const t0 = performance.now();
  const { handler } = require(job.bundle);
  const t1 = performance.now();
  const started = Date.now();
  const context = {
    getRequestID: () => job.requestId,
    getRemainingTimeInMilliSeconds: () => job.remainingMs - (Date.now() - started),
    getSecurityAccessKey: () => "",
    getSecuritySecretKey: () => "",
    getSecurityToken: () => "",
    getUserData: (key) => job.env[key],
    getFunctionName: () => `channel-autoscaler-${job.name}`,
    getLogger: () => console,
  };
  let summary;
  let error;
  try {
    summary = await handler(job.event, context);
  } catch (err) {
    error = String(err?.message ?? err);
  }
  const t2 = performance.now();
  const result = {
    requireMs: t1 - t0,
    invokeMs: t2 - t1,
    sinceStartMs: t2,
    maxRssKb: process.resourceUsage().maxRSS,
    summary: summary && { ...summary, plan: summary.plan.length },
    error,
  };
  process.send(result, () => process.exit(0));
});
