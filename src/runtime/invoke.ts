import { isTransient } from "../cloud/classify";
import { Deadline } from "../cloud/deadline";
import type { Service } from "../cloud/endpoints";
import { describeError } from "../cloud/errors";
import { ConfigError } from "../config/errors";
import { ENV_KEYS } from "../config/keys";
import { type EnvReader, envReader } from "../config/load";
import type { Binding } from "../config/schema";
import type { BindingSet } from "../discovery/merge";
import { InputError } from "../events/errors";
import { partitionByBinding } from "../events/groups";
import { type FunctionKind, readEvent, type Selection } from "../events/read";
import { Logger } from "../observability/logger";
import { RunMetrics } from "../observability/metrics";
import { membersChanged } from "../plan/counts";
import { selectBindings } from "../plan/identity";
import {
  type BindingOutcome,
  emptyCounts,
  type PlanEntry,
  type SyncCounts,
  type SyncResult,
} from "../plan/types";
import { type DeadLetterDelivery, type DeadLetterRecord, DeadLetterSink } from "../reliability/dead-letter";
import { reconcile } from "../sync/reconcile";
import { resolveBindings } from "./bindings";
import { createClients } from "./clients";
import { type FunctionContext, functionNameOf, requestIdOf } from "./context";
import { loadConfigAndCredentials } from "./credentials";
import { fanOut } from "./fanout";

/** What every invocation resolves to: the counts (derived from the plan entries) and the plan itself. */
export interface Summary extends SyncCounts {
  /** Bindings of this run that came from AS group tags (BINDINGS_FROM_TAGS). */
  bindings_discovered: number;
  /** Tagged groups of this run left out for bad or conflicting tags (each dead-lettered). */
  skipped: number;
  dead_lettered: number;
  dry_run: boolean;
  plan: PlanEntry[];
}

/** The summary of a run that has done nothing (yet). */
export const emptySummary = (dryRun: boolean, deadLettered = 0): Summary => ({
  ...emptyCounts(0),
  bindings_discovered: 0,
  skipped: 0,
  dead_lettered: deadLettered,
  dry_run: dryRun,
  plan: [],
});

/** Used when the context cannot say how long is left (local runs): FunctionGraph's default timeout. */
const FALLBACK_BUDGET_MS = 60_000;
/** Kept back from the invocation's time to log the summary and publish dead letters. */
const SAFETY_MARGIN_MS = 3_000;

/**
 * Thrown when every selected binding failed for transient reasons, or tag discovery did (then no
 * binding was tried: `failedBindings` is 0 and `discovery` says why): the platform's async retry takes over.
 */
export class TransientFailureError extends Error {
  override readonly name = "TransientFailureError";
  constructor(
    readonly failedBindings: number,
    readonly discovery?: string,
  ) {
    super(
      discovery === undefined
        ? `no binding could be reconciled: ${failedBindings} failed for transient reasons (dead letters logged); the platform's retry will run it again`
        : `tag discovery failed (${discovery}); nothing was reconciled and the platform's retry will run it again`,
    );
  }
}

/** Input and configuration errors carry no useful stack: keep them to their message in every log. */
function withoutStack<E extends Error>(err: E): E {
  err.stack = `${err.name}: ${err.message}`;
  return err;
}

/** Named groups that neither BINDINGS nor tags bind (a skipped tagged group is known: it was dead-lettered). */
function unknownGroups(selection: Selection, set: BindingSet): string[] {
  if (selection.groups === "all") return [];
  return partitionByBinding(selection.groups, [
    ...set.bindings.map((b) => b.scaling_group_id),
    ...set.skipped.map((s) => s.scaling_group_id),
  ]).unbound;
}

/** At most this many bound groups are listed in an error: with tags there may be thousands. */
const LISTED_GROUPS = 20;

function unknownGroupsError(unknown: string[], set: BindingSet): InputError {
  const bound = [...new Set(set.bindings.map((b) => b.scaling_group_id))];
  const listed = bound.slice(0, LISTED_GROUPS).join(", ");
  const more = bound.length > LISTED_GROUPS ? ` and ${bound.length - LISTED_GROUPS} more` : "";
  const named = unknown.map((id) => JSON.stringify(id)).join(", ");
  return new InputError(`unknown scaling_group_ids: ${named} (bound groups: ${listed}${more})`);
}

/** Every credential value the context or the environment holds, whether or not it will be used. */
function candidateSecrets(context: FunctionContext | undefined, read: EnvReader): string[] {
  const fromContext = [
    context?.getSecurityAccessKey,
    context?.getSecuritySecretKey,
    context?.getSecurityToken,
  ].map((fn) => (typeof fn === "function" ? fn.call(context) : undefined));
  const fromEnv = [ENV_KEYS.ak, ENV_KEYS.sk, ENV_KEYS.securityToken].map((key) => read(key));
  return [...fromContext, ...fromEnv].filter((v): v is string => typeof v === "string" && v !== "");
}

export interface InvokeOptions {
  /** Overrides for the environment (the CLI passes --bindings this way). */
  env?: NodeJS.ProcessEnv;
  /** Force a dry run whatever the event says (the CLI's `plan`). */
  dryRun?: boolean;
  write?: (line: string) => void;
  /** The clock of the reconcile's decisions (tests inject one; time-outs keep the real clock). */
  now?: () => number;
}

/** What a run cost and changed: the figures of its run-summary log line. */
export interface RunFigures {
  calls: Partial<Record<Service, number>>;
  writes: number;
  retries: number;
  throttles: number;
  dead_letter_delivery: DeadLetterDelivery;
  members_changed: number;
  failed_bindings: number;
  duration_ms: number;
}

/** Everything one invocation did, for the handler (which throws `failure`) and the CLI. */
export interface InvocationResult {
  summary: Summary;
  /** Every dead letter of the run, as logged (in the order logged). */
  deadLetters: readonly DeadLetterRecord[];
  /** The run summary's figures; absent when the run stopped before reconciling (tag discovery failed). */
  metrics?: RunFigures;
  /** Each selected binding's outcome. */
  outcomes: ReadonlyMap<Binding, BindingOutcome>;
  /**
   * Set when the run failed as a whole for transient reasons (every binding, or tag discovery): the
   * FunctionGraph handler throws it so the platform's retry runs the invocation again.
   */
  failure?: TransientFailureError;
}

/**
 * One invocation of any of the three functions: event → selection → reconcile → summary, with its dead
 * letters and figures. Throws only for bad configuration or input (ConfigError, InputError), each logged.
 */
export async function runInvocation(
  kind: FunctionKind,
  event: unknown,
  context: FunctionContext | undefined,
  options: InvokeOptions = {},
): Promise<InvocationResult> {
  const requestId = requestIdOf(context);
  const functionName = functionNameOf(context, `channel-autoscaler-${kind}`);
  const base = { request_id: requestId, function: functionName };
  const read = envReader(context, options.env ?? process.env);
  // Credentials are known before the configuration is: a value pasted into the wrong variable must not
  // come back in a configuration error either.
  const bootLogger = new Logger({
    level: "info",
    base,
    secrets: candidateSecrets(context, read),
    ...(options.write ? { write: options.write } : {}),
  });

  let loaded: ReturnType<typeof loadConfigAndCredentials>;
  try {
    loaded = loadConfigAndCredentials(context, read);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const scrubbed = err.cleaned((text) => bootLogger.scrub(text));
    bootLogger.error(scrubbed.message, { action: "load_config", issues: scrubbed.issues });
    throw withoutStack(scrubbed);
  }
  const { config, credentials } = loaded;
  const logger = new Logger({
    level: config.logLevel,
    base,
    secrets: [credentials.ak, credentials.sk, credentials.securityToken ?? ""],
    ...(options.write ? { write: options.write } : {}),
  });
  for (const warning of config.warnings) logger.warn(warning, { action: "load_config" });

  const inputError = (err: InputError): InputError => {
    logger.error(err.message, { action: "read_event" });
    return withoutStack(err);
  };
  let selection: Selection;
  try {
    selection = readEvent(
      kind,
      event,
      config.bindings.map((b) => b.scaling_group_id),
      { tagBound: config.bindingsFromTags },
    );
  } catch (err) {
    if (err instanceof InputError) throw inputError(err);
    throw err;
  }
  if (options.dryRun) selection.dryRun = true;

  const metrics = new RunMetrics();
  const deadline = Deadline.fromContext(context, FALLBACK_BUDGET_MS, SAFETY_MARGIN_MS);
  // Dead letters may be published into two thirds of the safety margin: the ones raised because the
  // work's time ran out must still reach the topic, and the last third is left for the summary.
  const publishDeadline = deadline.extendedBy((deadline.safetyMarginMs * 2) / 3);
  const clients = createClients(config, credentials, deadline, metrics, logger, publishDeadline);
  const deadLetters = new DeadLetterSink({
    requestId,
    functionName,
    logger,
    topicUrn: config.deadLetterTopicUrn,
    smn: clients.smn,
  });

  for (const warning of selection.warnings) logger.warn(warning, { action: "read_event" });
  for (const u of selection.unreadable) {
    deadLetters.add({
      action: "parse_event",
      binding: null,
      error: { status: null, code: "UNREADABLE_RECORD", message: u.reason },
      attempts: 1,
      detail: { record_index: u.index, ...(u.message_id ? { message_id: u.message_id } : {}) },
    });
  }

  let set: BindingSet;
  try {
    set = await resolveBindings(kind, selection, config, {
      tags: clients.autoscalingTags,
      logger,
      deadLetters,
    });
  } catch (err) {
    // Without discovery no binding is known to be safe: a shared member group reconciled without its
    // tagged groups would lose their members. The dead letter is out; retry when it may pass.
    await deadLetters.flush();
    const stopped = {
      summary: emptySummary(selection.dryRun, deadLetters.records.length),
      deadLetters: deadLetters.records,
      outcomes: new Map(),
    };
    if (isTransient(err)) {
      return { ...stopped, failure: withoutStack(new TransientFailureError(0, describeError(err).message)) };
    }
    logger.error("tag discovery failed; nothing reconciled", { action: "discover_bindings" });
    return stopped;
  }
  // A scaling event's groups are hints: with tags, a named group that no binding names is noted and left
  // alone (without tags the event reader has already left such groups out). Any other is an input error.
  narrowToBound(selection, set, kind === "scaling-events" && config.bindingsFromTags, logger, inputError);

  const bindings = selectBindings(set.bindings, selection.groups);
  const { groups } = selection;
  const skipped = set.skipped.filter((s) => groups === "all" || groups.includes(s.scaling_group_id)).length;
  logger.info("run started", {
    action: "start",
    trigger: kind,
    dry_run: selection.dryRun,
    bindings: bindings.length,
    groups: selection.groups,
    hints: selection.hints,
  });

  // Past the threshold, the timer's full reconcile is split across async backfill invocations (a dry
  // run stays here, so its plan comes back whole).
  const fanOutTo = config.backfillFunctionUrn;
  const shouldFanOut =
    kind === "reconcile" &&
    fanOutTo !== undefined &&
    !selection.dryRun &&
    bindings.length > config.tuning.fanOutThreshold;
  const result: SyncResult = shouldFanOut
    ? await fanOut(bindings, config.tuning.fanOutShardSize, {
        functionGraph: clients.functionGraph,
        functionUrn: fanOutTo,
        deadLetters,
        logger,
      })
    : await reconcile(
        bindings,
        {
          gateway: clients.gateway,
          autoscaling: clients.autoscaling,
          ecs: clients.ecs,
          standby: clients.standby,
          logger,
          deadline,
          deadLetters,
          ...(options.now ? { now: options.now } : {}),
        },
        {
          dryRun: selection.dryRun,
          maxConcurrency: config.tuning.maxConcurrency,
          healthPollIntervalMs: config.tuning.healthPollIntervalMs,
          healthWaitMaxMs: config.tuning.healthWaitMaxMs,
        },
      );
  await deadLetters.flush();

  const summary: Summary = {
    ...result.counts,
    bindings_discovered: bindings.filter((b) => set.discovered.has(b)).length,
    skipped,
    dead_lettered: deadLetters.records.length,
    dry_run: selection.dryRun,
    plan: result.plan,
  };
  const outcomes = [...result.outcomes.values()];
  const figures: RunFigures = {
    calls: metrics.calls,
    writes: metrics.totalWrites(),
    retries: metrics.retries,
    throttles: metrics.throttles,
    dead_letter_delivery: deadLetters.delivery,
    members_changed: membersChanged(summary.plan),
    failed_bindings: outcomes.filter((o) => o !== "ok").length,
    duration_ms: metrics.durationMs(),
  };
  logger.info("run summary", {
    action: "summary",
    summary: { ...summary, plan: undefined, planned_actions: summary.plan.length },
    calls: figures.calls,
    writes: figures.writes,
    retries: figures.retries,
    throttles: figures.throttles,
    dead_letters: deadLetters.records.length,
    dead_letter_delivery: figures.dead_letter_delivery,
    members_changed: figures.members_changed,
    failed_bindings: figures.failed_bindings,
    duration_ms: figures.duration_ms,
  });

  const allTransient = outcomes.length > 0 && outcomes.every((o) => o === "transient");
  return {
    summary,
    deadLetters: deadLetters.records,
    metrics: figures,
    outcomes: result.outcomes,
    // An expected outcome, not a crash: the platform logs the message, and a stack would only mislead.
    ...(allTransient ? { failure: withoutStack(new TransientFailureError(outcomes.length)) } : {}),
  };
}

/**
 * Leaves out of `selection` the named groups that no binding of `set` names: with `hintsOnly` they are
 * noted and left alone, otherwise they are an input error (thrown through `inputError`).
 */
function narrowToBound(
  selection: Selection,
  set: BindingSet,
  hintsOnly: boolean,
  logger: Logger,
  inputError: (err: InputError) => InputError,
): void {
  const unknown = unknownGroups(selection, set);
  if (unknown.length === 0) return;
  if (!hintsOnly) throw inputError(unknownGroupsError(unknown, set));
  // An event is a hint: groups that no binding names are noted and left alone.
  logger.warn("the event names scaling groups that no binding names; they are left alone", {
    action: "read_event",
    scaling_group_ids: unknown,
  });
  selection.groups = (selection.groups as string[]).filter((id) => !unknown.includes(id));
}

/** The FunctionGraph handler's body: the run's summary, or a throw the platform retries. */
export async function invoke(
  kind: FunctionKind,
  event: unknown,
  context: FunctionContext | undefined,
  options: InvokeOptions = {},
): Promise<Summary> {
  const run = await runInvocation(kind, event, context, options);
  if (run.failure) throw run.failure;
  return run.summary;
}
