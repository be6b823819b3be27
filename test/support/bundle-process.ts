// Shared by the tests: nothing here may import vitest.
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import type { FunctionName, Summary } from "./harness";

const CHILD = path.resolve(import.meta.dirname, "bundle-child.mjs");

export interface ChildInvocation {
  process: ChildProcess;
  /** What the process has written to stdout so far (its log lines). */
  output(): string;
  /** Resolves when the process has exited: its result line, if it got that far, and its log lines. */
  exited: Promise<{
    code: number | null;
    signal: NodeJS.Signals | null;
    summary?: Summary;
    error?: { name: string; message: string };
    /** The process's peak resident set, in kB, when it got as far as its result. */
    maxRssKb?: number;
    logs: Array<Record<string, unknown>>;
  }>;
}

/**
 * Invokes a built bundle in a process of its own (FunctionGraph's runtime is a process too), so a test
 * can kill it at any point: `child.process.kill("SIGKILL")`. `clockOffsetMs` runs it on a clock that far
 * ahead of the wall clock (bundle-child.mjs says which).
 */
export function spawnBundle(
  name: FunctionName,
  event: unknown,
  opts: { env: Record<string, string>; remainingMs?: number; clockOffsetMs?: number },
): ChildInvocation {
  const child = spawn(process.execPath, [CHILD], {
    env: { ...process.env, CHILD_INVOCATION: JSON.stringify({ name, event, ...opts }) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  child.stderr.resume();
  const exited = new Promise<Awaited<ChildInvocation["exited"]>>((resolve) => {
    child.once("close", (code, signal) => {
      const logs = out.split("\n").flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
      const last = logs.find((l) => l.child_result !== undefined);
      const result = last?.child_result as
        | { summary?: Summary; error?: { name: string; message: string } }
        | undefined;
      resolve({
        code,
        signal,
        ...result,
        ...(typeof last?.max_rss_kb === "number" ? { maxRssKb: last.max_rss_kb } : {}),
        logs: logs.filter((l) => l.child_result === undefined),
      });
    });
  });
  return { process: child, output: () => out, exited };
}

/** Waits until `condition` holds, checking every few milliseconds (the test's timeout bounds it). */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
