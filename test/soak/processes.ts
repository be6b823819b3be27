/**
 * One round's invocations: each built bundle in a process of its own, started together or a little
 * apart, and maybe killed part-way (SIGKILL, as a platform kills a function at its timeout or on a host
 * failure): at a random moment, or at a point that leaves work half done: right after a quarantine's
 * tag and before its standby, right after the standby and before its second tag, during a drain, right
 * after a hook callback or a delete. A process that outlives its time budget is killed and reported.
 */

import type { CallObserver } from "../faults/call-observer";
import { QUARANTINED_AT_TAG } from "../faults/world-spec";
import { spawnBundle } from "../support/bundle-process";
import type { FunctionName, Summary } from "../support/harness";
import type { Random } from "./random";

export interface PlannedInvocation {
  fn: FunctionName;
  event: unknown;
  /** Started this long after the round's first one. */
  delayMs: number;
  /** Its time budget, when shorter than the round's: a function timeout that cuts a drain short. */
  remainingMs?: number;
}

export type KillPoint =
  | "random"
  | "after-tag"
  | "after-standby"
  | "mid-drain"
  | "after-callback"
  | "after-delete";

export interface KillPlan {
  at: KillPoint;
  /** random: after the first start; mid-drain: after the batch-disable on the channel that drains. */
  delayMs: number;
  /** random: the invocation killed (an index into the round's, taken modulo their count). */
  victim: number;
}

export interface ProcessResult {
  fn: FunctionName;
  killed: boolean;
  /** Killed for outliving its time budget. */
  overran: boolean;
  code: number | null;
  summary?: Summary;
  error?: { name: string; message: string };
  maxRssKb?: number;
  logs: Array<Record<string, unknown>>;
}

/** The calls after which a kill point fires (the observer sees them right before their answer). */
const TRIGGERS: Record<Exclude<KillPoint, "random">, { method: "POST" | "PUT" | "DELETE"; path: RegExp }> = {
  "after-tag": { method: "POST", path: /\/cloudservers\/[^/]+\/tags\/action$/ },
  "after-standby": { method: "POST", path: /\/scaling_group_instance\/[^/]+\/action$/ },
  // The channel whose binding drains (drain_seconds 1).
  "mid-drain": { method: "POST", path: /\/vpc-channels\/chan-1\/members\/batch-disable$/ },
  "after-callback": { method: "PUT", path: /\/scaling_instance_hook\/[^/]+\/callback$/ },
  "after-delete": { method: "DELETE", path: /\/vpc-channels\/[^/]+\/members\/[^/]+$/ },
};

export function killPlanFor(random: Random): KillPlan | undefined {
  if (!random.chance(0.3)) return undefined;
  const at = random.weighted<KillPoint>([
    ["random", 4],
    ["after-tag", 2],
    ["after-standby", 1],
    ["mid-drain", 2],
    ["after-callback", 1],
    ["after-delete", 1],
  ]);
  const delayMs = at === "random" ? random.int(20, 1500) : at === "mid-drain" ? random.int(0, 900) : 0;
  return { at, delayMs, victim: random.int(0, 2) };
}

const isQuarantineTag = (body: unknown) => {
  const b = body as { action?: string; tags?: { key?: string }[] } | undefined;
  return b?.action === "create" && (b.tags ?? []).some((t) => t.key === QUARANTINED_AT_TAG);
};

export async function runProcesses(
  invocations: readonly PlannedInvocation[],
  opts: {
    env: Record<string, string>;
    clockOffsetMs: number;
    remainingMs: number;
    kill: KillPlan | undefined;
    observer: CallObserver;
  },
): Promise<ProcessResult[]> {
  const running = new Set<ReturnType<typeof spawnBundle>>();
  const children: (ReturnType<typeof spawnBundle> | undefined)[] = invocations.map(() => undefined);
  const killed = new Set<ReturnType<typeof spawnBundle>["process"]>();
  const overran = new Set<ReturnType<typeof spawnBundle>["process"]>();
  let fired = false;
  const killAll = () => {
    for (const c of running) {
      killed.add(c.process);
      c.process.kill("SIGKILL");
    }
  };
  const timers: NodeJS.Timeout[] = [];
  let unsubscribe = () => {};
  const { kill } = opts;
  if (kill && kill.at !== "random") {
    const trigger = TRIGGERS[kill.at];
    unsubscribe = opts.observer.on(trigger.method, trigger.path, (call) => {
      if (fired || (kill.at === "after-tag" && !isQuarantineTag(call.body))) return;
      fired = true;
      if (kill.delayMs === 0) killAll();
      else timers.push(setTimeout(killAll, kill.delayMs));
    });
  }
  if (kill?.at === "random") {
    timers.push(
      setTimeout(() => {
        const victim = children[kill.victim % invocations.length];
        if (!victim || !running.has(victim)) return;
        killed.add(victim.process);
        victim.process.kill("SIGKILL");
      }, kill.delayMs),
    );
  }
  const started = invocations.map(async (inv, k): Promise<ProcessResult> => {
    await new Promise((resolve) => setTimeout(resolve, inv.delayMs));
    const remainingMs = inv.remainingMs ?? opts.remainingMs;
    const child = spawnBundle(inv.fn, inv.event, {
      env: opts.env,
      remainingMs,
      clockOffsetMs: opts.clockOffsetMs,
    });
    children[k] = child;
    running.add(child);
    const watchdog = setTimeout(() => {
      overran.add(child.process);
      child.process.kill("SIGKILL");
    }, remainingMs + 15_000);
    const exit = await child.exited;
    clearTimeout(watchdog);
    running.delete(child);
    return {
      fn: inv.fn,
      killed: killed.has(child.process),
      overran: overran.has(child.process),
      code: exit.code,
      ...(exit.summary ? { summary: exit.summary } : {}),
      ...(exit.error ? { error: exit.error } : {}),
      ...(exit.maxRssKb !== undefined ? { maxRssKb: exit.maxRssKb } : {}),
      logs: exit.logs,
    };
  });
  try {
    return await Promise.all(started);
  } finally {
    unsubscribe();
    for (const t of timers) clearTimeout(t);
  }
}
