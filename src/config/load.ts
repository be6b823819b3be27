import { bindingsIssues } from "./binding-issues";
import { checkEndpoint } from "./endpoint-url";
import { ConfigError, type ConfigIssue } from "./errors";
import { parseJsonText } from "./json-text";
import { ENDPOINT_KEYS, ENV_KEYS, type EnvKey, type Service } from "./keys";
import { type Binding, BindingsSchema, LOG_LEVELS, type LogLevel } from "./schema";
import { ALLOW_LIST_FORM, parseTagBindingsAllowed, type TagBindingAllowList } from "./tag-consent";
import { TUNABLES, type Tuning } from "./tuning";

/** FunctionGraph caps a function's environment (keys and values together); some regions at 2,048. */
export const ENV_SIZE_LIMIT = 4096;
export const ENV_SIZE_WARN_AT = 2048;

export type EnvReader = (key: EnvKey) => string | undefined;

export interface Config {
  /** The BINDINGS list; with `bindingsFromTags`, discovery adds the tagged groups at run time. */
  bindings: Binding[];
  /** BINDINGS_FROM_TAGS=true: AS groups tagged as docs/configuration.md's "Bindings from AS group tags" says are bindings too. */
  bindingsFromTags: boolean;
  /** TAG_BINDINGS_ALLOWED: the channels tag bindings may name (empty without BINDINGS_FROM_TAGS). */
  tagBindingsAllowed: TagBindingAllowList;
  projectId: string;
  region: string | undefined;
  /** The *_ENDPOINT overrides; a service without one uses its region's default endpoint (cloud/endpoints.ts). */
  endpointOverrides: Partial<Record<Service, string>>;
  deadLetterTopicUrn: string | undefined;
  /** The `backfill` function `reconcile` fans out to; unset: never fan out. */
  backfillFunctionUrn: string | undefined;
  logLevel: LogLevel;
  tuning: Tuning;
  /** Non-fatal findings, e.g. BINDINGS approaching FunctionGraph's environment cap. */
  warnings: string[];
}

const FUNCTION_URN =
  /^urn:fss:[a-z0-9-]+:[A-Za-z0-9]+:function:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+(:[A-Za-z0-9_.!-]+)?$/;
const SMN_TOPIC_URN = /^urn:smn:[a-z0-9-]+:[A-Za-z0-9]+:[A-Za-z0-9_-]{1,255}$/;

/**
 * The services a run calls: AS and ECS always, the gateways of its bindings (and, with tag discovery, of
 * the channels TAG_BINDINGS_ALLOWED lists: a tag binding names no other), SMN when dead letters are
 * published, FunctionGraph when `reconcile` may fan out.
 */
export function servicesCalled(
  bindings: readonly Pick<Binding, "gateway">[],
  uses: { deadLetters: boolean; fanOut: boolean },
): Set<Service> {
  const called = new Set<Service>(["as", "ecs"]);
  for (const b of bindings) called.add(b.gateway === "apig" ? "apig" : "roma");
  if (uses.deadLetters) called.add("smn");
  if (uses.fanOut) called.add("functiongraph");
  return called;
}

/** Reads a key the FunctionGraph way: `context.getUserData(key)` first, then `process.env[key]`. */
export function envReader(
  context: { getUserData?: (key: string) => unknown } | undefined,
  env: NodeJS.ProcessEnv = process.env,
): EnvReader {
  return (key) => {
    const fromContext = typeof context?.getUserData === "function" ? context.getUserData(key) : undefined;
    if (typeof fromContext === "string" && fromContext !== "") return fromContext;
    const fromEnv = env[key];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
}

/** Parses BINDINGS text; returns the bindings or the issues found. Shared by the functions and the CLI. */
export function parseBindings(
  raw: string | undefined,
  root: string = ENV_KEYS.bindings,
  /** With BINDINGS_FROM_TAGS the tagged groups may be every binding there is: `[]` is then fine. */
  allowEmpty = false,
): { bindings: Binding[]; issues: ConfigIssue[] } {
  if (raw === undefined || raw.trim() === "") {
    return {
      bindings: [],
      issues: [
        {
          path: root,
          message: `is required (a JSON array of bindings), unless ${ENV_KEYS.bindingsFromTags}=true`,
        },
      ],
    };
  }
  const text = parseJsonText(raw);
  if (!text.ok) {
    return { bindings: [], issues: [{ path: root, message: `is not valid JSON: ${text.reason}` }] };
  }
  const json = text.value;
  if (allowEmpty && Array.isArray(json) && json.length === 0) return { bindings: [], issues: [] };
  const parsed = BindingsSchema().safeParse(json);
  if (!parsed.success) return { bindings: [], issues: bindingsIssues(json, root) };
  return { bindings: parsed.data, issues: [] };
}

/**
 * TAG_BINDINGS_ALLOWED: required with BINDINGS_FROM_TAGS (a tag binding acts only where the deployer
 * consented), checked whenever it is set; without tag discovery it changes nothing, so it is ignored.
 */
function readTagBindingsAllowed(
  read: EnvReader,
  bindingsFromTags: boolean,
  issues: ConfigIssue[],
  warnings: string[],
): TagBindingAllowList {
  const raw = read(ENV_KEYS.tagBindingsAllowed);
  if (raw === undefined) {
    if (bindingsFromTags) {
      issues.push({
        path: ENV_KEYS.tagBindingsAllowed,
        message: `is required with ${ENV_KEYS.bindingsFromTags}=true: the channels tag bindings may name, comma-separated ${ALLOW_LIST_FORM}`,
      });
    }
    return [];
  }
  const { entries, issues: found } = parseTagBindingsAllowed(raw);
  issues.push(...found);
  if (!bindingsFromTags) {
    warnings.push(
      `${ENV_KEYS.tagBindingsAllowed} is set but ${ENV_KEYS.bindingsFromTags} is not "true": it has no effect`,
    );
    return [];
  }
  return entries;
}

/** Validates the whole environment at once; throws ConfigError listing every problem. */
export function loadConfig(read: EnvReader): Config {
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];
  const rawFromTags = read(ENV_KEYS.bindingsFromTags)?.trim().toLowerCase();
  const bindingsFromTags = rawFromTags === "true";
  if (rawFromTags !== undefined && rawFromTags !== "true" && rawFromTags !== "false") {
    issues.push({ path: ENV_KEYS.bindingsFromTags, message: 'must be "true" or "false"' });
  }
  const rawBindings = read(ENV_KEYS.bindings);
  // With tag discovery, BINDINGS is optional: the tagged groups may be every binding there is.
  const { bindings, issues: bindingIssues } =
    bindingsFromTags && rawBindings === undefined
      ? { bindings: [], issues: [] }
      : parseBindings(rawBindings, ENV_KEYS.bindings, bindingsFromTags);
  issues.push(...bindingIssues);
  const tagBindingsAllowed = readTagBindingsAllowed(read, bindingsFromTags, issues, warnings);

  const projectId = read(ENV_KEYS.projectId) ?? read(ENV_KEYS.runtimeProjectId);
  if (!projectId) {
    issues.push({ path: ENV_KEYS.projectId, message: `is required (or ${ENV_KEYS.runtimeProjectId})` });
  } else if (!/^[A-Za-z0-9_-]{1,64}$/.test(projectId)) {
    issues.push({ path: ENV_KEYS.projectId, message: "must be a project id (letters, digits, - and _)" });
  }

  const region = read(ENV_KEYS.region);
  if (region !== undefined && !/^[a-z]{2}(-[a-z0-9]+){1,3}$/.test(region)) {
    // Never quoted: a value in the wrong variable may be a secret.
    issues.push({ path: ENV_KEYS.region, message: "is not a region name like cn-north-4" });
  }

  const deadLetterTopicUrn = read(ENV_KEYS.deadLetterTopicUrn);
  if (deadLetterTopicUrn !== undefined && !SMN_TOPIC_URN.test(deadLetterTopicUrn)) {
    issues.push({
      path: ENV_KEYS.deadLetterTopicUrn,
      message: "must be an SMN topic URN like urn:smn:cn-north-4:<project_id>:<topic>",
    });
  }

  const backfillFunctionUrn = read(ENV_KEYS.backfillFunctionUrn);
  if (backfillFunctionUrn !== undefined && !FUNCTION_URN.test(backfillFunctionUrn)) {
    issues.push({
      path: ENV_KEYS.backfillFunctionUrn,
      message: "must be a function URN like urn:fss:cn-north-4:<project_id>:function:default:<name>:latest",
    });
  }

  // Tag bindings may call the gateways of the allowed channels.
  const needed = servicesCalled([...bindings, ...tagBindingsAllowed], {
    deadLetters: deadLetterTopicUrn !== undefined,
    fanOut: backfillFunctionUrn !== undefined,
  });

  const rawAllowCustom = read(ENV_KEYS.allowCustomEndpoints)?.trim().toLowerCase();
  if (rawAllowCustom !== undefined && rawAllowCustom !== "true" && rawAllowCustom !== "false") {
    issues.push({ path: ENV_KEYS.allowCustomEndpoints, message: 'must be "true" or "false"' });
  }
  const endpointOverrides: Partial<Record<Service, string>> = {};
  for (const [service, key] of Object.entries(ENDPOINT_KEYS) as [Service, EnvKey][]) {
    const override = read(key);
    if (override !== undefined) {
      const checked = checkEndpoint(override, rawAllowCustom === "true");
      if (checked.ok) endpointOverrides[service] = checked.url;
      else issues.push({ path: key, message: checked.reason });
    } else if (region === undefined && needed.has(service)) {
      issues.push({ path: key, message: `is required when ${ENV_KEYS.region} is not set` });
    }
  }

  const rawLevel = read(ENV_KEYS.logLevel)?.toLowerCase() ?? "info";
  const logLevel = (LOG_LEVELS as readonly string[]).includes(rawLevel) ? (rawLevel as LogLevel) : "info";
  if (rawLevel !== logLevel) {
    issues.push({ path: ENV_KEYS.logLevel, message: `must be one of ${LOG_LEVELS.join(", ")}` });
  }

  const tuning = {} as Tuning;
  for (const [field, t] of Object.entries(TUNABLES) as [keyof Tuning, (typeof TUNABLES)[keyof Tuning]][]) {
    const raw = read(t.key);
    const n = raw === undefined ? t.default : Number(raw);
    if (!Number.isInteger(n) || n < t.min || n > t.max) {
      issues.push({ path: t.key, message: `must be a whole number from ${t.min} to ${t.max}` });
    }
    tuning[field] = n;
  }

  if (rawBindings !== undefined) {
    const size = ENV_KEYS.bindings.length + rawBindings.length;
    if (size > ENV_SIZE_LIMIT) {
      warnings.push(
        `BINDINGS is ${size} characters; FunctionGraph caps all environment variables together at ${ENV_SIZE_LIMIT}`,
      );
    } else if (size > ENV_SIZE_WARN_AT) {
      warnings.push(
        `BINDINGS is ${size} characters; FunctionGraph caps the environment at ${ENV_SIZE_LIMIT} (${ENV_SIZE_WARN_AT} in some regions)`,
      );
    }
  }

  if (issues.length > 0) throw new ConfigError(issues);
  return {
    bindings,
    bindingsFromTags,
    tagBindingsAllowed,
    projectId: projectId!,
    region,
    endpointOverrides,
    deadLetterTopicUrn,
    backfillFunctionUrn,
    logLevel,
    tuning,
    warnings,
  };
}
