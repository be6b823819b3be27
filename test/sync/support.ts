/**
 * The sync layer in this process, through its injectable SyncDeps: the real signed clients over real
 * sockets to the emulator, a real logger, deadline and dead-letter sink. Nothing is stubbed; a test
 * may inject only time (`now`, `sleep`), to observe a drain or a health wait without waiting for it.
 */

import { Deadline } from "../../src/cloud/deadline";
import { envReader, loadConfig } from "../../src/config/load";
import type { Binding } from "../../src/config/schema";
import { Logger } from "../../src/observability/logger";
import { RunMetrics } from "../../src/observability/metrics";
import type { Target } from "../../src/plan/targets";
import { groupIntoJobs } from "../../src/plan/targets";
import { DeadLetterSink } from "../../src/reliability/dead-letter";
import { createClients } from "../../src/runtime/clients";
import { type SyncDeps, type SyncOptions, syncOptions } from "../../src/sync/types";
import type { Emulator } from "../emulator";
import { AK, type Binding as BindingInput, envFor, SK } from "../support/harness";

export interface InProcess {
  deps: SyncDeps;
  /** The bindings as the configuration parsed them (defaults applied). */
  bindings: Binding[];
  /** The options a function invocation would pass, from the same configuration. */
  options: SyncOptions;
  /** Every log line, parsed. */
  logs: Record<string, unknown>[];
  deadLetters: DeadLetterSink;
}

export function inProcess(
  emu: Emulator,
  bindings: BindingInput[],
  time: Pick<SyncDeps, "now" | "sleep"> & { remainingMs?: number } = {},
): InProcess {
  const config = loadConfig(envReader(undefined, envFor(emu, bindings)));
  const logs: Record<string, unknown>[] = [];
  const logger = new Logger({
    level: "debug",
    secrets: [AK, SK],
    write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>),
  });
  const deadline = new Deadline(time.remainingMs ?? 60_000, 0);
  const clients = createClients(config, { ak: AK, sk: SK }, deadline, new RunMetrics(), logger);
  const deadLetters = new DeadLetterSink({
    requestId: "req-in-process",
    functionName: "channel-autoscaler-test",
    logger,
    topicUrn: undefined,
    smn: undefined,
  });
  const { now, sleep } = time;
  return {
    deps: {
      gateway: clients.gateway,
      autoscaling: clients.autoscaling,
      ecs: clients.ecs,
      standby: clients.standby,
      logger,
      deadline,
      deadLetters,
      ...(now ? { now } : {}),
      ...(sleep ? { sleep } : {}),
    },
    bindings: config.bindings,
    options: syncOptions(config.tuning, false, new Set()),
    logs,
    deadLetters,
  };
}

/** The one target of a single binding's channel member group. */
export function onlyTarget(bindings: readonly Binding[]): Target {
  const [job] = groupIntoJobs(bindings);
  const target = job?.targets[0];
  if (!target) throw new Error("no target");
  return target;
}
