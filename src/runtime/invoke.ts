import { isTransient } from "../cloud/classify";
import { Deadline } from "../cloud/deadline";
import { describeError } from "../cloud/errors";
import { ConfigError } from "../config/errors";
import type { Service } from "../config/keys";
import { ENV_KEYS } from "../config/keys";
import { type Config, type EnvReader, envReader } from "../config/load";
import type { Binding } from "../config/schema";
import type { BindingSet } from "../discovery/merge";
import { InputError } from "../events/errors";
import { namesLifecycleHook } from "../events/message";
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
import type { DeadLetterCode } from "../reliability/dead-letter-codes";
import { HealthCheckMemory } from "../sync/health-check-memory";
import { reconcile } from "../sync/reconcile";
import { syncOptions } from "../sync/types";
import { allBindings, resolveBindings, unknownGroups } from "./bindings";
import { type Clients, createClients } from "./clients";
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

/** What a run cost and changed: the figures of its run-summary log line, or of several runs added up. */
export interface RunFigures {
  calls: Partial<Record<Service, number>>;
  writes: number;
  retries: number;
  throttles: number;
  dead_letters: number;
  dead_letter_delivery: DeadLetterDelivery;
  members_changed: number;
  failed_bindings: number;
  duration_ms: number;
}

/** The figures of no run: what several runs' figures are added to. */
export const emptyFigures = (): RunFigures => ({
  calls: {},
  writes: 0,
  retries: 0,
  throttles: 0,
  dead_letters: 0,
  dead_letter_delivery: { published: 0, refused: 0, unconfirmed: 0 },
  members_changed: 0,
  failed_bindings: 0,
  duration_ms: 0,
});

/** Adds one run's figures to `into`. */
export function addFigures(into: RunFigures, figures: RunFigures): void {
  for (const [service, n] of Object.entries(figures.calls) as [Service, number][]) {
    into.calls[service] = (into.calls[service] ?? 0) + n;
  }
  into.writes += figures.writes;
  into.retries += figures.retries;
  into.throttles += figures.throttles;
  into.dead_letters += figures.dead_letters;
  for (const fate of ["published", "refused", "unconfirmed"] as const) {
    into.dead_letter_delivery[fate] += figures.dead_letter_delivery[fate];
  }
  into.members_changed += figures.members_changed;
  into.failed_bindings += figures.failed_bindings;
  into.duration_ms += figures.duration_ms;
}

/**
 * Thrown when every selected binding failed for transient reasons: the platform's async retry takes over.
 */
export class TransientFailureError extends Error {
  override readonly name = "TransientFailureError";
  constructor(readonly failedBindings: number) {
    super(
      `no binding could be reconciled: ${failedBindings} failed for transient reasons (dead letters logged); the platform's retry will run it again`,
    );
  }
}

/**
 * Thrown when tag discovery failed or did not add up, whatever the reason: no binding is known to be
 * safe to reconcile (a shared member group without its tagged groups would lose their members), so
 * none was tried, BINDINGS included. The platform's async retry runs it again, and its on-failure
 * destination takes what still fails.
 */
export class DiscoveryFailedError extends Error {
  override readonly name = "DiscoveryFailedError";
  constructor(
    /** What discovery failed with. */
    readonly reason: string,
  ) {
    super(
      `tag discovery failed (${reason}); nothing was reconciled, BINDINGS included, and the platform's retry will run it again`,
    );
  }
}

/** A run that failed as a whole: the FunctionGraph handler throws it. */
export type RunFailure = TransientFailureError | DiscoveryFailedError;

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
   * Set when the run failed as a whole (every binding for transient reasons, or tag discovery): the
   * FunctionGraph handler throws it so the platform's retry runs the invocation again.
   */
  failure?: RunFailure;
}

export interface InvokeOptions {
  /** Overrides for the environment (the CLI passes --bindings this way). */
  env?: NodeJS.ProcessEnv;
  /** Force a dry run whatever the event says (the CLI's `plan`). */
  dryRun?: boolean;
  write?: (line: string) => void;
  /** The clock of the reconcile's decisions (tests inject one; time-outs keep the real clock). */
  now?: () => number;
  /** The reconcile's waits (the drain, the health polls): tests inject one that moves their clock. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * The CLI's Ctrl-C or SIGTERM: once aborted no call starts and no wait lasts (the run's deadline
   * ends), the calls in flight finish, and what was not sent is dead-lettered as INTERRUPTED.
   */
  interrupt?: AbortSignal;
}

/**
 * One invocation of any of the three functions: boot (configuration, logger, clients), select (the
 * event says which bindings), resolve (the bindings themselves, tagged groups included), execute
 * (reconcile, or fan out), summarize. Throws only for bad configuration or input (ConfigError,
 * InputError), each logged.
 */
export async function runInvocation(
  kind: FunctionKind,
  event: unknown,
  context: FunctionContext | undefined,
  options: InvokeOptions = {},
): Promise<InvocationResult> {
  const run = boot(kind, context, options);
  const selection = await select(run, event, options.dryRun);
  const resolved = await resolve(run, selection);
  if ("stopped" in resolved) return resolved.stopped;
  const result = await execute(run, selection, resolved, options);
  return summarize(run, selection, resolved, result);
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

/** What a booted invocation works with, whatever its event. */
export interface Run {
  kind: FunctionKind;
  config: Config;
  logger: Logger;
  metrics: RunMetrics;
  deadline: Deadline;
  clients: Clients;
  deadLetters: DeadLetterSink;
}

/** Used when the context cannot say how long is left (local runs): FunctionGraph's default timeout. */
const FALLBACK_BUDGET_MS = 60_000;
/** Kept back from the invocation's time to log the summary and publish dead letters. */
export const SAFETY_MARGIN_MS = 3_000;

/**
 * Boot: the configuration and credentials (a ConfigError is logged, scrubbed, and thrown), the logger
 * that scrubs the credentials, and the run's clients, time budget and dead-letter sink.
 */
export function boot(kind: FunctionKind, context: FunctionContext | undefined, options: InvokeOptions): Run {
  const requestId = requestIdOf(context);
  const functionName = functionNameOf(context, `channel-autoscaler-${kind}`);
  const base = { request_id: requestId, function: functionName };
  const write = options.write ? { write: options.write } : {};
  const read = envReader(context, options.env ?? process.env);
  // Credentials are known before the configuration is: a value pasted into the wrong variable must not
  // come back in a configuration error either.
  const bootLogger = new Logger({ level: "info", base, secrets: candidateSecrets(context, read), ...write });
  const { config, credentials } = loadOrLog(context, read, bootLogger);
  const logger = new Logger({
    level: config.logLevel,
    base,
    secrets: [credentials.ak, credentials.sk, credentials.securityToken ?? ""],
    ...write,
  });
  for (const warning of config.warnings) logger.warn(warning, { action: "load_config" });

  const metrics = new RunMetrics();
  const deadline = Deadline.fromContext(context, FALLBACK_BUDGET_MS, SAFETY_MARGIN_MS, options.interrupt);
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
  return { kind, config, logger, metrics, deadline, clients, deadLetters };
}

/**
 * Select: the groups the event names (or all), as a selection; what it says that the run acts on in its
 * own way is logged, and each record that cannot be read is dead-lettered. A bad event is an InputError.
 */
async function select(run: Run, event: unknown, forceDryRun: boolean | undefined): Promise<Selection> {
  const { config, logger } = run;
  let selection: Selection;
  try {
    selection = readEvent(
      run.kind,
      event,
      config.bindings.map((b) => b.scaling_group_id),
      { tagBound: config.bindingsFromTags },
    );
  } catch (err) {
    if (err instanceof InputError) throw inputError(run, err);
    const unreadable = unreadableEvent(run, err);
    await run.deadLetters.flush();
    throw inputError(run, unreadable);
  }
  if (forceDryRun) selection.dryRun = true;
  for (const warning of selection.warnings) logger.warn(warning, { action: "read_event" });
  for (const u of selection.unreadable) {
    const code: DeadLetterCode = "UNREADABLE_RECORD";
    run.deadLetters.add({
      action: "parse_event",
      binding: null,
      error: { status: null, code, message: u.reason },
      attempts: 1,
      detail: { record_index: u.index, ...(u.message_id ? { message_id: u.message_id } : {}) },
    });
  }
  return selection;
}

/**
 * An event that broke its reading in a way no check foresaw: dead-lettered and turned into an
 * InputError, so it is logged like any bad event and never escapes as a bare exception.
 */
function unreadableEvent(run: Run, err: unknown): InputError {
  const message = `the event could not be read: ${err instanceof Error ? err.message : String(err)}`;
  const code: DeadLetterCode = "UNREADABLE_EVENT";
  run.deadLetters.add({
    action: "parse_event",
    binding: null,
    error: { status: null, code, message },
    attempts: 1,
  });
  return new InputError(message);
}

/** The bindings a run works on: the set they came from, and the selected ones. */
interface Resolved {
  set: BindingSet;
  bindings: Binding[];
}

/**
 * Resolve: BINDINGS and the tagged groups, narrowed to the selection. When tag discovery fails the run
 * stops there (`stopped`), and a named group that no binding names is an InputError (a scaling event's
 * groups are only hints: with tags, such groups are noted and left alone).
 */
async function resolve(run: Run, selection: Selection): Promise<Resolved | { stopped: InvocationResult }> {
  const { kind, config, logger, deadLetters } = run;
  let set: BindingSet;
  try {
    set = await resolveBindings(kind, selection, config, {
      tags: run.clients.autoscalingTags,
      logger,
      deadLetters,
    });
  } catch (err) {
    return { stopped: await discoveryFailed(run, selection, err) };
  }
  narrowToBound(run, selection, set, kind === "scaling-events" && config.bindingsFromTags);
  const bindings = selectBindings(set.bindings, selection.groups);
  logger.info("run started", {
    action: "start",
    trigger: kind,
    dry_run: selection.dryRun,
    bindings: bindings.length,
    groups: selection.groups,
    hints: selection.hints,
  });
  return { set, bindings };
}

/**
 * Without discovery no binding is known to be safe: a shared member group reconciled without its
 * tagged groups would lose their members. Discovery is not tried again within the run (a listing that
 * did not add up would most likely not add up again, and each try costs the whole listing): the dead
 * letter is out, and the run fails as a whole for the platform's retry.
 */
async function discoveryFailed(run: Run, selection: Selection, err: unknown): Promise<InvocationResult> {
  const { deadLetters } = run;
  await deadLetters.flush();
  const reason = describeError(err);
  run.logger.error("tag discovery failed; nothing reconciled", {
    action: "discover_bindings",
    error: reason,
    transient: isTransient(err),
  });
  return {
    summary: emptySummary(selection.dryRun, deadLetters.records.length),
    deadLetters: deadLetters.records,
    outcomes: new Map(),
    failure: withoutStack(new DiscoveryFailedError(`${reason.code}: ${reason.message}`)),
  };
}

/**
 * Leaves out of `selection` the named groups that no binding of `set` names: with `hintsOnly` they are
 * noted and left alone, otherwise they are an input error.
 */
function narrowToBound(run: Run, selection: Selection, set: BindingSet, hintsOnly: boolean): void {
  const unknown = unknownGroups(selection.groups, set);
  if (unknown === undefined) return;
  if (!hintsOnly) {
    throw inputError(
      run,
      new InputError(`unknown scaling_group_ids: ${unknown.named} (bound groups: ${unknown.bound})`),
    );
  }
  run.logger.warn("the event names scaling groups that no binding names; they are left alone", {
    action: "read_event",
    scaling_group_ids: unknown.ids,
  });
  selection.groups = (selection.groups as string[]).filter((id) => !unknown.ids.includes(id));
}

// Memories outlive one invocation, as the rate limits' buckets do: a warm instance invoked again knows
// which health checks it found as wanted, and when. One per project, endpoints and recheck period.
const healthCheckMemories = new Map<string, HealthCheckMemory>();

function healthCheckMemory(config: Config): HealthCheckMemory {
  const scope = JSON.stringify([
    config.projectId,
    config.region,
    config.endpointOverrides,
    config.tuning.healthCheckRecheckMs,
  ]);
  let memory = healthCheckMemories.get(scope);
  if (!memory) {
    memory = new HealthCheckMemory(config.tuning.healthCheckRecheckMs);
    healthCheckMemories.set(scope, memory);
  }
  return memory;
}

/**
 * Execute: reconcile the bindings here, or, past the threshold, split the timer's full reconcile
 * across async backfill invocations (a dry run stays here, so its plan comes back whole).
 */
async function execute(
  run: Run,
  selection: Selection,
  { set, bindings }: Resolved,
  { now, sleep }: Pick<InvokeOptions, "now" | "sleep">,
): Promise<SyncResult> {
  const { config, clients, logger, deadLetters } = run;
  const fanOutTo = config.backfillFunctionUrn;
  if (
    run.kind === "reconcile" &&
    fanOutTo !== undefined &&
    !selection.dryRun &&
    bindings.length > config.tuning.fanOutThreshold
  ) {
    return fanOut(bindings, config.tuning.fanOutShardSize, {
      functionGraph: clients.functionGraph,
      functionUrn: fanOutTo,
      deadLetters,
      logger,
    });
  }
  return reconcile(
    bindings,
    {
      gateway: clients.gateway,
      autoscaling: clients.autoscaling,
      ecs: clients.ecs,
      standby: clients.standby,
      logger,
      deadline: run.deadline,
      deadLetters,
      // The drain and the health polls end early when the run is interrupted (or move a test's clock).
      sleep: sleep ?? ((ms) => run.deadline.sleep(ms)),
      // A backfill (a dead letter's replay, the CLI, a fan-out shard) compares every health check: a
      // replay of a failed health-check write must repair it, whatever this instance remembers.
      ...(run.kind === "backfill" ? {} : { healthChecks: healthCheckMemory(config) }),
      ...(now ? { now } : {}),
    },
    syncOptions(config.tuning, selection.dryRun, set.discovered, namesLifecycleHook(selection.hints)),
  );
}

/**
 * Summarize: once the dead letters are published, the summary and the figures, logged as the run
 * summary line; a run whose every binding failed for transient reasons carries its failure.
 */
async function summarize(
  run: Run,
  selection: Selection,
  { set, bindings }: Resolved,
  result: SyncResult,
): Promise<InvocationResult> {
  const { deadLetters, metrics } = run;
  await deadLetters.flush();
  const { groups } = selection;
  const summary: Summary = {
    ...result.counts,
    bindings_discovered: bindings.filter((b) => set.discovered.has(b)).length,
    skipped: set.skipped.filter((s) => groups === "all" || groups.includes(s.scaling_group_id)).length,
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
    dead_letters: deadLetters.records.length,
    dead_letter_delivery: deadLetters.delivery,
    members_changed: membersChanged(summary.plan),
    failed_bindings: outcomes.filter((o) => o !== "ok").length,
    duration_ms: metrics.durationMs(),
  };
  run.logger.info("run summary", {
    action: "summary",
    summary: { ...summary, plan: undefined, planned_actions: summary.plan.length },
    ...figures,
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
 * The configuration and the bindings a run would work on, without running it: BINDINGS and, with
 * BINDINGS_FROM_TAGS, every tagged group, discovered as `reconcile` discovers them. What the CLI shows
 * and checks before it runs anything.
 */
export async function loadBindings(
  context: FunctionContext | undefined,
  options: InvokeOptions,
): Promise<{ config: Config; set: BindingSet }> {
  const run = boot("backfill", context, options);
  return { config: run.config, set: await allBindings(run.config, run.clients.autoscalingTags) };
}

/** Loads the configuration and credentials; a ConfigError is logged scrubbed, and thrown scrubbed. */
function loadOrLog(
  context: FunctionContext | undefined,
  read: EnvReader,
  logger: Logger,
): ReturnType<typeof loadConfigAndCredentials> {
  try {
    return loadConfigAndCredentials(context, read);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const scrubbed = err.cleaned((text) => logger.scrub(text));
    logger.error(scrubbed.message, { action: "load_config", issues: scrubbed.issues });
    throw withoutStack(scrubbed);
  }
}

/** An InputError, logged; thrown by the caller. */
function inputError(run: Run, err: InputError): InputError {
  run.logger.error(err.message, { action: "read_event" });
  return withoutStack(err);
}

/** Input and configuration errors carry no useful stack: keep them to their message in every log. */
function withoutStack<E extends Error>(err: E): E {
  err.stack = `${err.name}: ${err.message}`;
  return err;
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
