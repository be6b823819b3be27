import { randomUUID } from "node:crypto";
import { ConfigError, type ConfigIssue } from "../config/errors";
import { ENV_KEYS } from "../config/keys";
import type { Config } from "../config/load";
import type { Binding } from "../config/schema";
import type { BindingSet } from "../discovery/merge";
import { plannedCounts } from "../plan/counts";
import { selectBindings, targetKey } from "../plan/identity";
import type { DeadLetterRecord } from "../reliability/dead-letter";
import { unknownGroups } from "../runtime/bindings";
import type { FunctionContext } from "../runtime/context";
import { shardGroups } from "../runtime/fanout";
import {
  addFigures,
  boot,
  emptyFigures,
  emptySummary,
  loadBindings,
  type RunFailure,
  type RunFigures,
  runInvocation,
  type Summary,
} from "../runtime/invoke";
import { memberGroupWeightWarnings } from "../runtime/member-group-weights";
import { UsageError } from "./errors";
import type { Progress } from "./progress";
import { cleanStrings, printable, scrubberOf } from "./safe-output";

export const CLI_FUNCTION_NAME = "channel-autoscaler-cli";

export interface RunSettings {
  env: NodeJS.ProcessEnv;
  /** Time each invocation may take, like a function's timeout. */
  timeoutMs: number;
  /** Every JSON log line of the functions' code (the CLI keeps them off the terminal unless asked). */
  onLog: (line: string) => void;
}

/** What the runs of one CLI command did, added up; filled batch by batch, so readable while it runs. */
export interface RunResult {
  summary: Summary;
  deadLetters: DeadLetterRecord[];
  /** The runs' figures, added up, and how many runs there were. */
  figures: RunFigures;
  invocations: number;
  /** Runs that failed as a whole (every binding, or tag discovery, failed for transient reasons). */
  errors: RunFailure[];
  requestIds: string[];
  /** Bindings whose run an interrupt kept from starting. */
  notStarted: Binding[];
  /** Bindings whose run is going on now (empty between runs and once they are all over). */
  inFlight: Binding[];
}

/** The result of no run yet: what runBatches fills. */
export const emptyRunResult = (dryRun: boolean): RunResult => ({
  summary: emptySummary(dryRun),
  deadLetters: [],
  figures: emptyFigures(),
  invocations: 0,
  errors: [],
  requestIds: [],
  notStarted: [],
  inFlight: [],
});

/** `BINDINGS`, `BINDINGS[0].weight`; not `BINDINGS_FROM_TAGS`. */
const BINDINGS_PATH = new RegExp(`^${ENV_KEYS.bindings}(?=$|[.[])`);

/**
 * Where a CLI user supplies what the functions get from their deployment: the bindings from a file,
 * the credentials of an IAM user (the agency advice is the deployed function's).
 */
function forTheCli(issue: ConfigIssue, bindingsRoot: string | undefined): ConfigIssue {
  if (issue.path === ENV_KEYS.bindings && issue.message.startsWith("is required")) {
    return {
      path: issue.path,
      message:
        "is required: pass --bindings <file> (a JSON array of bindings, or terraform.tfvars.json), or set BINDINGS, or BINDINGS_FROM_TAGS=true",
    };
  }
  // The bindings came from a file: its problems are named by the file, not by the variable.
  if (bindingsRoot !== undefined && BINDINGS_PATH.test(issue.path)) {
    return { path: issue.path.replace(BINDINGS_PATH, bindingsRoot), message: issue.message };
  }
  if (issue.path.startsWith(ENV_KEYS.ak) && issue.message.startsWith("no credentials")) {
    return {
      path: issue.path,
      message: `no credentials: set ${ENV_KEYS.ak} and ${ENV_KEYS.sk} (an IAM user's access key), in the environment or the --dotenv file`,
    };
  }
  return issue;
}

/**
 * The configuration (checked as the functions check it, each problem in the CLI's words and scrubbed
 * of the environment's credentials) and the bindings a run works on: BINDINGS, and with
 * BINDINGS_FROM_TAGS the tagged groups, discovered the way `reconcile` does (one query-by-tag call per
 * 1,000 groups).
 */
export async function loadCliBindings(
  env: NodeJS.ProcessEnv,
  settings: Pick<RunSettings, "timeoutMs" | "onLog"> & {
    /** Where BINDINGS came from when a file gave it (`bindings.json`): problems are named by it. */
    bindingsRoot?: string;
  },
): Promise<{ config: Config; set: BindingSet }> {
  try {
    return await loadBindings(cliContext(`cli-${randomUUID().slice(0, 8)}`, settings.timeoutMs), {
      env,
      write: settings.onLog,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const scrub = scrubberOf(env);
    throw new ConfigError(err.issues.map((i) => forTheCli(i, settings.bindingsRoot))).cleaned((text) =>
      printable(scrub(text)),
    );
  }
}

/**
 * `validate`'s look at the cloud: each bound channel read once, for member groups whose
 * `member_group_weight` would override the bindings' weights. `notRead` names what the environment
 * lacks to reach the cloud (nothing is read then).
 */
export async function memberGroupChecks(
  env: NodeJS.ProcessEnv,
  settings: Pick<RunSettings, "timeoutMs" | "onLog">,
  bindings: readonly Binding[],
): Promise<{ warnings: string[] } | { notRead: string[] }> {
  let run: ReturnType<typeof boot>;
  try {
    run = boot("backfill", cliContext(`cli-${randomUUID().slice(0, 8)}`, settings.timeoutMs), {
      env,
      write: settings.onLog,
    });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return { notRead: [...new Set(err.issues.map((i) => i.path))] };
  }
  return { warnings: await memberGroupWeightWarnings(run.clients.gateway, bindings) };
}

function cliContext(requestId: string, timeoutMs: number): FunctionContext {
  const started = Date.now();
  return {
    getRequestID: () => requestId,
    getFunctionName: () => CLI_FUNCTION_NAME,
    getRemainingTimeInMilliSeconds: () => timeoutMs - (Date.now() - started),
  };
}

/** A summary field that is a number: a count. */
type Count = { [K in keyof Summary]: Summary[K] extends number ? K : never }[keyof Summary];

/** Every count of a summary, summed over the batches: taken from the summary itself, no list to forget one in. */
const COUNTS: readonly Count[] = Object.entries(emptySummary(false))
  .filter(([, v]) => typeof v === "number")
  .map(([k]) => k as Count);

function addSummary(into: Summary, s: Summary): void {
  for (const k of COUNTS) into[k] += s[k];
  into.plan.push(...s.plan);
}

export interface BatchOptions {
  /** A bar or lines over the bindings; with it, one run per set of channel-connected bindings. */
  progress?: Progress;
  /** Once aborted, no run starts and the run going on starts no call (its calls in flight finish). */
  interrupt?: AbortSignal;
}

/**
 * Runs the backfill function's code in this process once per batch (one batch without progress), and
 * adds up into `result` what the runs did. Configuration and input errors are thrown (exit code 2); a
 * run that failed for transient reasons is kept in `errors` and the other batches still run. What came
 * from the cloud is still raw here: `cleanedResult` makes it fit to print.
 */
export async function runBatches(
  groups: "all" | readonly string[],
  dryRun: boolean,
  settings: RunSettings,
  set: BindingSet,
  result: RunResult,
  { progress, interrupt }: BatchOptions = {},
): Promise<void> {
  const { bindings } = set;
  const unknown = unknownGroups(groups, set);
  if (unknown) {
    throw new UsageError(
      `unknown scaling group ${unknown.named}: no binding names it (bound groups: ${unknown.bound})`,
    );
  }
  const selected = selectBindings(bindings, groups);
  // With progress, one invocation per set of channel-connected bindings (a shard size of 1 gives one
  // shard per such set): they are independent, and no two invocations write to the same channel.
  const batches: { groups: "all" | string[]; bindings: Binding[] }[] = progress
    ? shardGroups(selected, 1).map((ids) => ({
        groups: ids,
        bindings: selected.filter((b) => ids.includes(b.scaling_group_id)),
      }))
    : [{ groups: groups === "all" ? "all" : [...groups], bindings: selected }];
  // Skipped tagged groups asked for by name get a run of their own: it dead-letters their tag problems.
  const skippedAsked =
    groups === "all" ? [] : set.skipped.map((s) => s.scaling_group_id).filter((id) => groups.includes(id));
  if (progress && skippedAsked.length > 0) batches.push({ groups: skippedAsked, bindings: [] });
  progress?.start(selected.length);
  try {
    for (const [i, batch] of batches.entries()) {
      if (interrupt?.aborted) {
        result.notStarted.push(...batches.slice(i).flatMap((b) => b.bindings));
        break;
      }
      const requestId = `cli-${randomUUID().slice(0, 8)}`;
      result.requestIds.push(requestId);
      result.inFlight = batch.bindings;
      const payload = batch.groups === "all" ? {} : { scaling_group_ids: batch.groups };
      const run = await runInvocation("backfill", payload, cliContext(requestId, settings.timeoutMs), {
        env: settings.env,
        dryRun,
        write: settings.onLog,
        ...(interrupt ? { interrupt } : {}),
      });
      result.inFlight = [];
      result.deadLetters.push(...run.deadLetters);
      if (run.metrics) {
        addFigures(result.figures, run.metrics);
        result.invocations += 1;
      }
      if (run.failure) result.errors.push(run.failure);
      // A run that failed as a whole adds its counts but not its plan; one stopped by a transient tag
      // discovery failure adds nothing (its dead letter is kept).
      const summary = !run.failure ? run.summary : run.metrics ? { ...run.summary, plan: [] } : undefined;
      if (summary) addSummary(result.summary, summary);
      progress?.tick(batch.bindings.length, describeBatch(batch.bindings, summary));
    }
  } finally {
    progress?.stop();
  }
}

/**
 * What came from the cloud (plan entries, dead letters), fit to print and to write to files: no control
 * character, no credential (the functions' logger scrubbed its lines; the plan never went through it).
 */
export function cleanedResult(result: RunResult, env: NodeJS.ProcessEnv): RunResult {
  const scrub = scrubberOf(env);
  const clean = (text: string) => printable(scrub(text));
  // A copy: a run left to itself past an interrupt's wind-down goes on filling `result`.
  return {
    ...result,
    figures: structuredClone(result.figures),
    errors: [...result.errors],
    requestIds: [...result.requestIds],
    notStarted: [...result.notStarted],
    inFlight: [...result.inFlight],
    summary: cleanStrings(result.summary, clean),
    deadLetters: cleanStrings(result.deadLetters, clean),
  };
}

/** A batch's progress line: what it planned (dry run) or did, in the words of the totals line. */
function describeBatch(bindings: readonly Binding[], s: Summary | undefined): string {
  const names = bindings.map((b) => `${b.scaling_group_id} → ${targetKey(b)}`);
  const label = names.length > 2 ? `${names[0]} and ${names.length - 1} more` : names.join(", ");
  if (!s) return `${label}: failed`;
  const failed = s.dead_lettered > 0 || s.plan.some((e) => e.status === "failed");
  const hooks = (n: number) => `${n} hook${n === 1 ? "" : "s"}`;
  const planned = s.dry_run ? plannedCounts(s.plan) : undefined;
  const counts = planned
    ? `${planned.added} to add, ${planned.updated} to update, ${planned.disabled} to disable, ` +
      `${planned.removed} to remove, ${hooks(planned.hooks_completed)} to complete`
    : `${s.added} added, ${s.updated} updated, ${s.disabled} disabled, ${s.removed} removed, ` +
      `${hooks(s.hooks_completed)} completed`;
  return `${label}: ${counts}${failed ? `, ${s.dead_lettered} dead letters` : ", ok"}`;
}
