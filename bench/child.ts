import { fork } from "node:child_process";
import path from "node:path";

export interface ChildJob {
  /** Absolute path of the bundle to require. */
  bundle: string;
  name: string;
  event: unknown;
  /** What `context.getUserData(key)` returns. */
  env: Record<string, string>;
  remainingMs: number;
  requestId: string;
  /** Runs the child's clock (`Date.now`) this far ahead of the real one: a timer run minutes later. */
  clockAheadMs?: number;
}

export interface ChildResult {
  requireMs: number;
  invokeMs: number;
  /** From the child's process start to the handler's answer. */
  sinceStartMs: number;
  /** The child's peak resident set, KiB (`process.resourceUsage().maxRSS`). */
  maxRssKb: number;
  summary?: Record<string, number | boolean>;
  error?: string;
  /** Log lines the function wrote. */
  logLines: number;
}

const CHILD = path.join(import.meta.dirname, "invoke-child.cjs");

/** Runs one invocation of a bundle in a fresh plain-node process (no tsx loader, no emulator). */
export function runChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      // BENCH_CPU_PROF=<dir>: a CPU profile of each invocation's process there (node --cpu-prof).
      execArgv: process.env.BENCH_CPU_PROF
        ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : [],
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    let logLines = 0;
    let stderr = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      for (const byte of chunk) if (byte === 10) logLines += 1;
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let result: Omit<ChildResult, "logLines"> | undefined;
    child.once("message", (message) => {
      result = message as Omit<ChildResult, "logLines">;
    });
    child.once("error", reject);
    child.once("close", (code) => {
      if (result) resolve({ ...result, logLines });
      else reject(new Error(`invocation child exited with ${code} and no result:\n${stderr}`));
    });
    child.send(job);
  });
}
