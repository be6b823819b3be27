import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { checkEndpoint } from "../../src/config/endpoint-url";
import { DEPLOYED_ENV_KEYS, ENV_KEYS } from "../../src/config/keys";
import { SDK_ENDPOINT_DOMAINS } from "../../src/config/region-endpoints";
import { BindingSchema, HealthCheckSchema } from "../../src/config/schema";
import {
  type Allowlist,
  checkCitedActions,
  checkEnterpriseProjectAndTags,
  checkEnvironment,
  checkModule,
  checkModuleCalls,
  checkNoWarningChecks,
  checkRegions,
  checkReplacedWhenChanged,
  checkReplacedWithReferenced,
  checkResources,
  checkStaysInModule,
  checkTfvars,
  checkVariableDeclarations,
  checkVariableReferences,
  declaredVariables,
  type EnvironmentRules,
  environmentKeys,
  formatFindings,
  groupModules,
  type HclObject,
  interpolations,
  objectTypeAttributes,
  references,
  type TfFile,
  type TypeAttribute,
} from "./check-terraform";
import { type Evaluation, evaluate, TERRAFORM } from "./terraform-eval";

/**
 * Resource types, data sources and arguments of huaweicloud/huaweicloud this project may use,
 * written by hand from the provider's documentation at v1.97.1
 * (github.com/huaweicloud/terraform-provider-huaweicloud, docs/resources/<name>.md and
 * docs/data-sources/<name>.md, e.g. docs/resources/identity_role.md for huaweicloud_identity_role).
 * Only arguments whose names are documented are listed (two internal ones, each with its Go source);
 * add to it from the docs, never from a schema dump. `regional` marks the types whose docs list a
 * `region` argument.
 */
const HUAWEICLOUD: Allowlist = {
  resources: {
    huaweicloud_fgs_function: {
      regional: true,
      args: [
        "region",
        "name",
        "app",
        "runtime",
        "handler",
        "memory_size",
        "timeout",
        "code_type",
        "func_code",
        "code_filename",
        "code_url",
        "agency",
        "app_agency",
        "user_data",
        "encrypted_user_data",
        "user_data_encrypt_kms_key_id",
        "initializer_handler",
        "initializer_timeout",
        "enable_lts_log",
        "log_group_id",
        "log_group_name",
        "log_stream_id",
        "log_stream_name",
        "lts_custom_tag",
        "functiongraph_version",
        "max_instance_num",
        "vpc_id",
        "network_id",
        "description",
        "tags",
        "enterprise_project_id",
        "depend_list",
      ],
    },
    huaweicloud_fgs_function_trigger: {
      regional: true,
      args: ["region", "function_urn", "type", "event_data", "status", "cascade_delete_eg_subscription"],
    },
    huaweicloud_fgs_async_invoke_configuration: {
      regional: true,
      args: [
        "region",
        "function_urn",
        "max_async_event_age_in_seconds",
        "max_async_retry_attempts",
        "enable_async_status_log",
      ],
      blocks: { on_success: ["destination", "param"], on_failure: ["destination", "param"] },
    },
    huaweicloud_as_lifecycle_hook: {
      regional: true,
      args: [
        "region",
        "scaling_group_id",
        "name",
        "type",
        "notification_topic_urn",
        "default_result",
        "timeout",
        "notification_message",
      ],
    },
    huaweicloud_as_notification: {
      regional: true,
      args: ["region", "scaling_group_id", "topic_urn", "events"],
    },
    huaweicloud_smn_topic: {
      regional: true,
      args: [
        "region",
        "name",
        "display_name",
        "users_publish_allowed",
        "services_publish_allowed",
        "introduction",
        "enterprise_project_id",
        "tags",
      ],
    },
    huaweicloud_identity_agency: {
      args: [
        "name",
        "delegated_domain_name",
        // Internal arguments of the Go schema, not in the docs
        // (huaweicloud/services/iam/resource_huaweicloud_identity_agency.go): delegated_service_name is
        // ExactlyOneOf with delegated_domain_name and holds a service trust such as op_svc_cff;
        // enable_force_new ("true"/"false") lets FlexibleForceNew replace the agency when its name changes.
        "delegated_service_name",
        "enable_force_new",
        "description",
        "duration",
        "domain_roles",
        "all_resources_roles",
        "force_dissociate_v5_policies",
      ],
      blocks: {
        project_role: ["project", "roles"],
        enterprise_project_roles: ["enterprise_project", "roles"],
      },
    },
    huaweicloud_identity_role: {
      args: ["name", "description", "type", "policy"],
    },
    huaweicloud_lts_group: {
      regional: true,
      args: ["region", "group_name", "ttl_in_days", "tags", "enterprise_project_id"],
    },
    huaweicloud_lts_stream: {
      regional: true,
      args: [
        "region",
        "group_id",
        "stream_name",
        "ttl_in_days",
        "tags",
        "enterprise_project_id",
        "is_favorite",
      ],
    },
    huaweicloud_smn_subscription: {
      regional: true,
      args: ["region", "topic_urn", "protocol", "endpoint", "remark"],
      blocks: { extension: ["client_id", "client_secret", "keyword", "sign_secret", "header"] },
    },
    huaweicloud_ces_alarmrule: {
      regional: true,
      args: [
        "region",
        "alarm_name",
        "alarm_template_id",
        "alarm_description",
        "alarm_enabled",
        "alarm_type",
        "alarm_action_enabled",
        "notification_begin_time",
        "notification_end_time",
        "effective_timezone",
        "enterprise_project_id",
      ],
      blocks: {
        metric: ["namespace"],
        resources: { args: [], blocks: { dimensions: ["name", "value"] } },
        condition: [
          "period",
          "filter",
          "comparison_operator",
          "value",
          "count",
          "unit",
          "suppress_duration",
          "metric_name",
          "alarm_level",
        ],
        alarm_actions: ["type", "notification_list"],
        ok_actions: ["type", "notification_list"],
      },
    },
    huaweicloud_lts_keywords_alarm_rule: {
      regional: true,
      args: [
        "region",
        "name",
        "alarm_level",
        "description",
        "send_notifications",
        "alarm_action_rule_name",
        "trigger_condition_count",
        "trigger_condition_frequency",
        "send_recovery_notifications",
        "recovery_frequency",
        "alarm_rule_alias",
        "notification_frequency",
        "status",
      ],
      blocks: {
        keywords_requests: [
          "keywords",
          "condition",
          "number",
          "log_stream_id",
          "log_group_id",
          "search_time_range_unit",
          "search_time_range",
          "log_group_name",
          "log_stream_name",
        ],
        frequency: ["type", "cron_expression", "hour_of_day", "day_of_week", "fixed_rate_unit", "fixed_rate"],
        notification_save_rule: {
          args: ["template_name", "user_name", "timezone", "language"],
          blocks: { topics: ["name", "topic_urn", "display_name", "push_policy"] },
        },
      },
    },
    // Built into Terraform (>= 1.4), not the provider: developer.hashicorp.com/terraform/language/resources/terraform-data.
    terraform_data: { args: ["input", "triggers_replace"] },
  },
  dataSources: {
    // docs/data-sources/identity_role.md: a system-defined role or policy, by display_name or name.
    huaweicloud_identity_role: ["display_name", "name", "role_id"],
  },
  providers: {
    huaweicloud: ["region", "access_key", "secret_key"],
  },
};

const ENVIRONMENT: EnvironmentRules = {
  allowed: DEPLOYED_ENV_KEYS,
  required: [ENV_KEYS.bindings, ENV_KEYS.region, ENV_KEYS.projectId, ENV_KEYS.deadLetterTopicUrn],
  functionTypes: { huaweicloud_fgs_function: ["user_data", "encrypted_user_data"] },
};

const ROOT = join(__dirname, "..", "..");
const MODULE_DIR = "infra/modules/channel-autoscaler";
const EXAMPLE_DIR = "infra/examples/basic";
const TFVARS_EXAMPLE = `${EXAMPLE_DIR}/terraform.tfvars.example`;
const IAM_TF = `${MODULE_DIR}/iam.tf`;
const VARIABLES_TF = `${MODULE_DIR}/variables.tf`;

/** An SMN trigger's topic cannot be updated in place, so a new topic must replace the trigger. */
const TRIGGER_FOLLOWS_TOPIC = {
  type: "huaweicloud_fgs_function_trigger",
  argument: "event_data",
  referencedType: "huaweicloud_smn_topic",
} as const;

function listTfFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = posix.join(dir, entry.name);
      if (entry.isDirectory()) return entry.name.startsWith(".") ? [] : listTfFiles(path);
      return entry.name.endsWith(".tf") ? [path] : [];
    });
}

const TF_PATHS = listTfFiles("infra");

async function parseHcl(path: string, source: string): Promise<HclObject> {
  const { parse } = await import("@cdktf/hcl2json");
  return (await parse(path, source)) as HclObject;
}

type Edits = Record<string, (source: string) => string>;

/**
 * Parses every .tf file under infra/, after applying `edits` (path → source transform) in memory.
 * An edit that changes nothing fails, so a negative test cannot pass by editing the wrong text.
 */
let unedited: Promise<TfFile[]> | undefined;

async function loadInfra(edits: Edits = {}): Promise<TfFile[]> {
  if (Object.keys(edits).length === 0) {
    unedited ??= parseInfra({});
    return unedited;
  }
  return parseInfra(edits);
}

async function parseInfra(edits: Edits): Promise<TfFile[]> {
  return Promise.all(
    TF_PATHS.map(async (path) => {
      const original = readFileSync(join(ROOT, path), "utf8");
      const edit = edits[path];
      const source = edit ? edit(original) : original;
      if (edit && source === original) throw new Error(`edit of ${path} changed nothing`);
      return { path, json: await parseHcl(path, source) };
    }),
  );
}

function moduleOf(files: TfFile[], dir: string) {
  const module = groupModules(files).get(dir);
  if (!module) throw new Error(`no .tf files in ${dir}`);
  return module;
}

/** Every finding of every check, over the whole infra/ tree. */
async function checkInfra(edits: Edits = {}): Promise<string[]> {
  const files = await loadInfra(edits);
  const modules = groupModules(files);
  const tfvarsSource = readFileSync(join(ROOT, TFVARS_EXAMPLE), "utf8");
  const tfvars = await parseHcl("terraform.tfvars", edits[TFVARS_EXAMPLE]?.(tfvarsSource) ?? tfvarsSource);
  return formatFindings([
    ...[...modules.values()].flatMap((module) => checkModule(module, HUAWEICLOUD, ENVIRONMENT)),
    ...[...modules.values()].flatMap((module) => checkModuleCalls(module, modules)),
    ...[...modules.values()].flatMap((module) => checkReplacedWithReferenced(module, TRIGGER_FOLLOWS_TOPIC)),
    ...checkTfvars(TFVARS_EXAMPLE, tfvars, moduleOf(files, EXAMPLE_DIR)),
  ]);
}

type FieldSchema = { safeParse(value: unknown): { success: boolean } };

/** `name` or `name?` (optional, or defaulted by the function) for each field. */
function fieldList(attributes: Map<string, TypeAttribute>): string[] {
  return [...attributes].map(([name, { optional }]) => `${name}${optional ? "?" : ""}`);
}

function schemaFieldList(shape: Record<string, FieldSchema>): string[] {
  return Object.entries(shape).map(
    ([name, field]) => `${name}${field.safeParse(undefined).success ? "?" : ""}`,
  );
}

/**
 * Fields that differ between the module's `bindings` type and the function's BindingSchema (and
 * their health_check objects): `+x` only in Terraform, `-x` only in the schema.
 */
function bindingFieldDrift(files: TfFile[]): string[] {
  const binding = objectTypeAttributes(
    String(declaredVariables(moduleOf(files, MODULE_DIR)).get("bindings")?.type),
  );
  const healthCheck = objectTypeAttributes(binding.get("health_check")?.type ?? "");
  const diff = (where: string, terraform: string[], schema: string[]) => [
    ...terraform.filter((f) => !schema.includes(f)).map((f) => `+${where}${f}`),
    ...schema.filter((f) => !terraform.includes(f)).map((f) => `-${where}${f}`),
  ];
  const schemaFields = schemaFieldList(BindingSchema().shape);
  return [
    ...diff("", fieldList(binding), schemaFields),
    ...diff("health_check.", fieldList(healthCheck), schemaFieldList(HealthCheckSchema().shape)),
  ];
}

function replaceOnce(search: string, replacement: string) {
  return (source: string) => {
    const at = source.indexOf(search);
    if (at < 0) throw new Error(`"${search}" not found`);
    return source.slice(0, at) + replacement + source.slice(at + search.length);
  };
}

describe("infra/ Terraform files", () => {
  it("include the module and the example", () => {
    expect(TF_PATHS).toEqual(
      expect.arrayContaining([
        `${MODULE_DIR}/variables.tf`,
        `${MODULE_DIR}/functions.tf`,
        `${MODULE_DIR}/outputs.tf`,
        `${EXAMPLE_DIR}/main.tf`,
      ]),
    );
  });

  it.each(TF_PATHS)("%s parses", async (path) => {
    const json = await parseHcl(path, readFileSync(join(ROOT, path), "utf8"));
    expect(Object.keys(json).length).toBeGreaterThan(0);
  });

  it("terraform.tfvars.example parses, and leaves the bindings to terraform.tfvars.json.example", async () => {
    const json = await parseHcl("terraform.tfvars", readFileSync(join(ROOT, TFVARS_EXAMPLE), "utf8"));
    expect(json).toHaveProperty("region");
    expect(json).not.toHaveProperty("bindings");
    const tfvarsJson = JSON.parse(
      readFileSync(join(ROOT, `${TFVARS_EXAMPLE.replace(/\.example$/, ".json.example")}`), "utf8"),
    );
    expect(Object.keys(tfvarsJson)).toEqual(["bindings"]);
  });

  it("pass every offline check", async () => {
    expect(await checkInfra()).toEqual([]);
  });
});

describe("channel-autoscaler module", () => {
  it("uses only allowlisted resource types and arguments", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    expect(formatFindings(checkResources(module, HUAWEICLOUD))).toEqual([]);
  });

  it("declares every variable it references, each with a type and a description", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    expect(
      formatFindings([...checkVariableReferences(module), ...checkVariableDeclarations(module)]),
    ).toEqual([]);
  });

  it("gives the functions only DEPLOYED_ENV_KEYS, including BINDINGS, region, project and dead-letter topic", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    const found = environmentKeys(module, ENVIRONMENT);
    expect(found).toHaveLength(1);
    const keys = found[0]?.keys ?? [];
    expect(keys).toEqual(expect.arrayContaining([...ENVIRONMENT.required]));
    for (const key of keys) expect(DEPLOYED_ENV_KEYS).toContain(key);
    expect(keys).not.toContain(ENV_KEYS.ak);
    expect(keys).not.toContain(ENV_KEYS.sk);
    expect(formatFindings(checkEnvironment(module, ENVIRONMENT))).toEqual([]);
  });

  it("deploys the three bundles on Node.js20.15 with handler index.handler", async () => {
    const files = await loadInfra();
    const functionsTf = files.find((f) => f.path === `${MODULE_DIR}/functions.tf`)?.json;
    const mainTf = files.find((f) => f.path === `${MODULE_DIR}/main.tf`)?.json;
    const fn = (functionsTf?.resource as HclObject | undefined)?.huaweicloud_fgs_function as
      | HclObject
      | undefined;
    const body = (fn?.functions as HclObject[] | undefined)?.[0];
    expect(body).toMatchObject({
      runtime: "Node.js20.15",
      handler: "index.handler",
      code_type: "zip",
      memory_size: `\${var.memory_size}`,
      timeout: `\${var.timeout}`,
    });
    const locals = (mainTf?.locals as HclObject[] | undefined)?.[0];
    expect(Object.keys((locals?.functions as HclObject | undefined) ?? {}).sort()).toEqual([
      "backfill",
      "reconcile",
      "scaling-events",
    ]);
    expect(locals?.zip_paths).toContain(`\${var.dist_dir}/\${name}.zip`);
  });

  it("declares exactly the binding fields of the function's config schema, optional where it has a default", async () => {
    expect(bindingFieldDrift(await loadInfra())).toEqual([]);
  });

  it("mirrors the binding rules of the function's config schema in validation blocks", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    const bindings = declaredVariables(module).get("bindings");
    const conditions = ((bindings?.validation as HclObject[] | undefined) ?? []).map((v) =>
      String(v.condition),
    );
    const rules = [
      /b\.weight >= 0 && b\.weight <= 10000 && floor\(b\.weight\) == b\.weight/,
      /b\.port >= 0 && b\.port <= 65535/,
      /b\.drain_seconds >= 0 && b\.drain_seconds <= 3600/,
      /b\.slow_start_seconds >= 0 && b\.slow_start_seconds <= 3600 && floor\(b\.slow_start_seconds\) == b\.slow_start_seconds/,
      /b\.healthy_timeout_seconds >= 0 && b\.healthy_timeout_seconds <= 86400/,
      /contains\(\["roma", "apig"\], b\.gateway\)/,
      /\^\[A-Za-z0-9\]\[A-Za-z0-9_-\]\{0,63\}\$/,
      /\{2,63\}\$/,
      /length\(var\.bindings\) == length\(distinct\(/,
      /weight, 1\), coalesce\(b\.slow_start_seconds, 0\), b\.port, coalesce\(b\.standby, false\), coalesce\(b\.drain_seconds, 30\), coalesce\(b\.healthy_timeout_seconds, 300\)/,
      /jsonencode\(b\.health_check\)/,
      /\["TCP", "HTTP", "HTTPS", "tcp", "http", "https"\]/,
      /n >= 1 && n <= 10/,
      /hc\.time_interval >= 5 && hc\.time_interval <= 300/,
      /hc\.timeout >= 2 && hc\.timeout <= 30 && floor\(hc\.timeout\) == hc\.timeout && hc\.timeout < hc\.time_interval/,
      /hc\.path != null && hc\.http_code != null/,
      /length\(jsonencode\(\{\s*BINDINGS = jsonencode\(\[[\s\S]*\]\)\s*\}\)\) <= 4096/,
      /b\.replace_unhealthy == null \? true : coalesce\(b\.gateway, "roma"\) == "apig"/,
      /r\.after_seconds >= 60 && r\.after_seconds <= 86400/,
      /r\.max_per_run >= 1 && r\.max_per_run <= 10/,
      /r\.max_unhealthy_fraction >= 0 && r\.max_unhealthy_fraction <= 1/,
      /r\.max_in_standby >= 1 && r\.max_in_standby <= 100 && floor\(r\.max_in_standby\) == r\.max_in_standby/,
      /r\.cooldown_seconds >= 0 && r\.cooldown_seconds <= 86400 && floor\(r\.cooldown_seconds\) == r\.cooldown_seconds/,
    ];
    for (const rule of rules)
      expect(
        conditions.some((c) => rule.test(c)),
        String(rule),
      ).toBe(true);
  });

  it("grants explicit IAM actions only, no wildcards, each beside the Huawei page that lists it", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    const iam = module.files.find((f) => f.path.endsWith("/iam.tf"))?.json;
    const locals = (iam?.locals as HclObject[] | undefined)?.[0] ?? {};
    const source = readFileSync(join(ROOT, IAM_TF), "utf8");
    const actions = [
      ...source.matchAll(/"((?:apig|roma|as|ecs|smn|functiongraph):[A-Za-z*]+:[A-Za-z*]+)"/g),
    ].map((m) => m[1]);
    expect(actions.length).toBeGreaterThan(15);
    for (const action of actions) expect(action).not.toContain("*");
    expect(JSON.stringify(locals.policy_statements)).toContain("smn:topic:publish");
    expect(JSON.stringify(locals)).not.toMatch(/"\*"|:\*"/);
    expect(formatFindings(checkCitedActions(IAM_TF, source))).toEqual([]);
  });

  it("grants each optional action only when a binding or setting needs it", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    const iam = module.files.find((f) => f.path.endsWith("/iam.tf"))?.json;
    const locals = (iam?.locals as HclObject[] | undefined)?.[0] ?? {};
    // hcl2json keeps the comments inside an expression; drop them to read the code.
    const code = (value: unknown) => String(value).replace(/#[^\n]*/g, "");
    const apig = code(locals.apig_actions);
    const as = code(locals.as_actions);
    const ecs = code(locals.ecs_actions);
    // The narrow channel-setup actions, never unconditionally.
    expect(apig).toMatch(
      /var\.create_member_groups \? \["apig:vpcChannels:addOrUpdateMemberGroups"\] : \[\]/,
    );
    expect(apig).toMatch(/local\.apig_health_check \? \["apig:vpcChannels:update"\] : \[\]/);
    expect(String(locals.apig_health_check)).toMatch(/b\.health_check != null/);
    // Tag discovery.
    expect(as).toMatch(
      /var\.bindings_from_tags \? \[\s*"as:tagResources:list",\s*"as:tags:get",?\s*\] : \[\]/,
    );
    // Exactly the AS batch action and the ECS tag actions, only with replace_unhealthy.
    expect(as).toMatch(/local\.replace_unhealthy \? \["as:instances:batchAction"\] : \[\]/);
    expect(ecs).toMatch(
      /local\.replace_unhealthy \? \[\s*"ecs:cloudServers:batchSetServerTags",?\s*\] : \[\]/,
    );
    // No call reads a server's tags alone (they come with the server list).
    expect(JSON.stringify(locals)).not.toContain("ecs:cloudServers:showServerTags");
    expect(String(locals.replace_unhealthy)).toMatch(/b\.replace_unhealthy != null/);
    // No server GET (no call needs it); invokeAsync on the backfill function alone.
    expect(JSON.stringify(locals)).not.toContain("ecs:cloudServers:get");
    expect(String(locals.backfill_function_resource)).toBe(
      `FunctionGraph:*:*:function:default/\${var.name_prefix}-backfill`,
    );
    expect(code(locals.policy_statements)).toMatch(
      /Action = \["functiongraph:function:invokeAsync"\], Resource = \[local\.backfill_function_resource\]/,
    );
    // System roles where no fine-grained action is published.
    expect(String(locals.system_roles)).toMatch(/var\.roma_policy_actions == null \? \["ROMA FullAccess"\]/);
    expect(String(locals.system_roles)).toMatch(/"system_role" \? \["FunctionGraph Invoker"\]/);
  });

  it("replaces the reconcile timer when its schedule or schedule type changes", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    expect(
      formatFindings(
        checkReplacedWhenChanged(
          module,
          { type: "huaweicloud_fgs_function_trigger", name: "reconcile_timer" },
          ["reconcile_schedule", "reconcile_schedule_type"],
        ),
      ),
    ).toEqual([]);
  });

  it("turns tag discovery on with BINDINGS_FROM_TAGS and makes bindings optional", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    const variables = declaredVariables(module);
    expect(variables.get("bindings")?.default).toEqual([]);
    expect(variables.get("bindings_from_tags")).toMatchObject({ default: false });
    const mainTf = module.files.find((f) => f.path.endsWith("/main.tf"))?.json;
    const locals = (mainTf?.locals as HclObject[] | undefined)?.[0] ?? {};
    const environment = locals.environment_all as HclObject;
    expect(environment[ENV_KEYS.bindingsFromTags]).toBe(`\${var.bindings_from_tags ? "true" : null}`);
    expect(String(locals.bindings_json)).toMatch(/length\(var\.bindings\) == 0 \? null/);
    const functionsTf = readFileSync(join(ROOT, `${MODULE_DIR}/functions.tf`), "utf8");
    expect(functionsTf).toContain("condition     = length(var.bindings) > 0 || var.bindings_from_tags");
  });

  it("passes tag_bindings_allowed as TAG_BINDINGS_ALLOWED, required with bindings_from_tags", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    expect(declaredVariables(module).get("tag_bindings_allowed")).toMatchObject({ default: [] });
    const mainTf = module.files.find((f) => f.path.endsWith("/main.tf"))?.json;
    const locals = (mainTf?.locals as HclObject[] | undefined)?.[0] ?? {};
    expect((locals.environment_all as HclObject)[ENV_KEYS.tagBindingsAllowed]).toBe(
      `\${var.bindings_from_tags ? join(",", var.tag_bindings_allowed) : null}`,
    );
    const fn = resourceBody(module.files, "huaweicloud_fgs_function", "functions");
    expect(lifecycleConditions(fn, "precondition")).toContain(
      `\${!var.bindings_from_tags || length(var.tag_bindings_allowed) > 0}`,
    );
  });
});

describe("basic example", () => {
  it("passes every variable the module requires, and only declared ones", async () => {
    const files = await loadInfra();
    expect(formatFindings(checkModuleCalls(moduleOf(files, EXAMPLE_DIR), groupModules(files)))).toEqual([]);
  });

  it("has a terraform.tfvars.example that sets every required variable of the example", async () => {
    const files = await loadInfra();
    const tfvars = await parseHcl("terraform.tfvars", readFileSync(join(ROOT, TFVARS_EXAMPLE), "utf8"));
    expect(formatFindings(checkTfvars(TFVARS_EXAMPLE, tfvars, moduleOf(files, EXAMPLE_DIR)))).toEqual([]);
  });
});

describe("the checks fail when the configuration is wrong", () => {
  it("reports a misspelt resource argument", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/functions.tf`]: replaceOnce(
        "memory_size           = var.memory_size",
        "memory_sise = var.memory_size",
      ),
    });
    expect(findings).toEqual([
      expect.stringContaining(
        'huaweicloud_fgs_function.functions: "memory_sise" is not a documented argument',
      ),
    ]);
  });

  it("reports a misspelt argument inside a nested block", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/functions.tf`]: replaceOnce('destination = "SMN"', 'destinaton = "SMN"'),
    });
    expect(findings).toEqual([
      expect.stringContaining('on_failure: "destinaton" is not a documented argument'),
    ]);
  });

  it("reports a resource type the provider does not document", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/events.tf`]: replaceOnce(
        'resource "huaweicloud_as_notification"',
        'resource "huaweicloud_as_notifications"',
      ),
    });
    expect(findings).toEqual([
      expect.stringContaining('resource type "huaweicloud_as_notifications" is not in the allowlist'),
    ]);
  });

  it("reports an environment key that drifted from the function's config keys", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/main.tf`]: replaceOnce(
        "HUAWEICLOUD_SDK_REGION     = var.region",
        "HUAWEICLOUD_REGION = var.region",
      ),
    });
    expect(findings).toEqual([
      expect.stringContaining('environment key "HUAWEICLOUD_REGION" is not one the functions read'),
      expect.stringContaining('environment lacks required key "HUAWEICLOUD_SDK_REGION"'),
    ]);
  });

  it("reports an environment whose keys cannot be read", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/functions.tf`]: replaceOnce(
        "user_data = jsonencode(local.function_environment)",
        'user_data = jsonencode({ BINDINGS = "[]" })',
      ),
    });
    expect(findings).toEqual([expect.stringContaining("its environment keys cannot be read")]);
  });

  it("reports binding fields that drifted from the function's config schema", async () => {
    const files = await loadInfra({
      [`${MODULE_DIR}/variables.tf`]: (source) =>
        replaceOnce(
          "      enable_client_ssl  = optional(bool)",
          "      enable_client_ssl  = optional(bool)\n      status = optional(number)",
        )(
          replaceOnce(
            "    standby                 = optional(bool)",
            "    standby                 = bool",
          )(source),
        ),
    });
    expect(bindingFieldDrift(files)).toEqual(["+standby", "-standby?", "+health_check.status?"]);
  });

  it("reports a variable that is used but not declared", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/functions.tf`]: replaceOnce(
        "memory_size           = var.memory_size",
        "memory_size = var.memory_mb",
      ),
    });
    expect(findings).toEqual([expect.stringContaining("var.memory_mb is used but no variable")]);
  });

  it("reports a reference to an undeclared resource or local", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/functions.tf`]: replaceOnce(
        "huaweicloud_smn_topic.events.topic_urn",
        "huaweicloud_smn_topic.event.topic_urn",
      ),
      [`${MODULE_DIR}/events.tf`]: replaceOnce(
        "for_each = local.scaling_group_ids",
        "for_each = local.group_ids",
      ),
    });
    expect(findings).toEqual([
      expect.stringContaining("local.group_ids is used but not defined"),
      expect.stringContaining("huaweicloud_smn_topic.event is referenced but not declared"),
      expect.stringContaining(
        "event_data names huaweicloud_smn_topic.event, but a new event does not replace it",
      ),
    ]);
  });

  it("reports an example that reads an output the module does not have", async () => {
    const findings = await checkInfra({
      [`${EXAMPLE_DIR}/outputs.tf`]: replaceOnce(
        "module.channel_autoscaler.function_urns",
        "module.channel_autoscaler.function_urn",
      ),
    });
    expect(findings).toEqual([
      expect.stringContaining('"function_urn" is not an output of infra/modules/channel-autoscaler'),
    ]);
  });

  it("reports a variable without a description", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/variables.tf`]: replaceOnce('description = "Days LTS keeps the functions\' logs."', ""),
    });
    expect(findings).toEqual([expect.stringContaining('variable "log_retention_days" has no description')]);
  });

  it("reports an example that misses a required module variable or passes an unknown one", async () => {
    const findings = await checkInfra({
      [`${EXAMPLE_DIR}/main.tf`]: (source) =>
        replaceOnce(
          "project_id = var.project_id",
          "",
        )(replaceOnce("log_level            = var.log_level", "log_lvl = var.log_level")(source)),
    });
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"log_lvl" is not a variable of infra/modules/channel-autoscaler'),
        expect.stringContaining(
          'required variable "project_id" of infra/modules/channel-autoscaler is not set',
        ),
      ]),
    );
    expect(findings).toHaveLength(2);
  });

  it("reports a tfvars example that misses a required variable", async () => {
    const findings = await checkInfra({ [TFVARS_EXAMPLE]: replaceOnce("region     = ", "regio = ") });
    expect(findings).toEqual([
      expect.stringContaining('"regio" is not a variable'),
      expect.stringContaining('required variable "region" of infra/examples/basic is not set'),
    ]);
  });

  it("reports an IAM action without a cited page", () => {
    const source = [
      "  apig_actions = [",
      '    "apig:vpcChannels:get", # ShowDetailsOfVpcChannelV2.html',
      "    # see the APIG reference",
      '    "apig:vpcChannels:update",',
      "  ]",
    ].join("\n");
    expect(formatFindings(checkCitedActions("iam.tf", source))).toEqual([
      "iam.tf: IAM action apig:vpcChannels:update (line 4) cites no Huawei page",
    ]);
  });

  it("reports a timer that a schedule change would not replace", async () => {
    const files = await loadInfra({
      [`${MODULE_DIR}/functions.tf`]: replaceOnce(
        "    replace_triggered_by = [terraform_data.reconcile_schedule]\n",
        "",
      ),
    });
    const module = moduleOf(files, MODULE_DIR);
    expect(
      formatFindings(
        checkReplacedWhenChanged(
          module,
          { type: "huaweicloud_fgs_function_trigger", name: "reconcile_timer" },
          ["reconcile_schedule", "reconcile_schedule_type"],
        ),
      ),
    ).toEqual([
      expect.stringContaining("not replaced when var.reconcile_schedule changes"),
      expect.stringContaining("not replaced when var.reconcile_schedule_type changes"),
    ]);
    const partial = moduleOf(
      await loadInfra({
        [`${MODULE_DIR}/functions.tf`]: replaceOnce(
          "    schedule_type = var.reconcile_schedule_type\n    schedule      = var.reconcile_schedule\n  }",
          "    schedule = var.reconcile_schedule\n  }",
        ),
      }),
      MODULE_DIR,
    );
    expect(
      formatFindings(
        checkReplacedWhenChanged(
          partial,
          { type: "huaweicloud_fgs_function_trigger", name: "reconcile_timer" },
          ["reconcile_schedule", "reconcile_schedule_type"],
        ),
      ),
    ).toEqual([expect.stringContaining("not replaced when var.reconcile_schedule_type changes")]);
  });

  it("rejects a file that does not parse", async () => {
    await expect(parseHcl("broken.tf", 'resource "x" "y" {\n  a = \n}\n')).rejects.toThrow();
  });
});

/**
 * FunctionGraph's memory sizes: MemorySize of CreateFunctionRequestBody and
 * UpdateFunctionConfigRequestBody in huaweicloud-sdk-go-v3
 * (services/functiongraph/v2/model/model_create_function_request_body.go).
 */
const FUNCTIONGRAPH_MEMORY_SIZES = [128, 256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096];

/** Required variables of the module, and a region other than the examples' usual one. */
const BASE_VARS = {
  region: "eu-west-101",
  project_id: "0123456789abcdef0123456789abcdef",
  dist_dir: "../../../dist",
};

function resourceBody(files: TfFile[], type: string, name: string): HclObject {
  for (const file of files) {
    const byName = ((file.json.resource as HclObject | undefined)?.[type] as HclObject | undefined)?.[name];
    if (Array.isArray(byName) && byName[0]) return byName[0] as HclObject;
  }
  throw new Error(`resource ${type}.${name} not found`);
}

/** The first body of a block (hcl2json gives a block as an array of bodies), or an empty one. */
function firstBody(value: unknown): HclObject {
  return Array.isArray(value) && typeof value[0] === "object" && value[0] !== null
    ? (value[0] as HclObject)
    : {};
}

/** A block labelled `name` under `kind` (`module`, `data.<type>`...), as `firstBody` gives it. */
function labelled(json: HclObject | undefined, kind: string, name: string): HclObject {
  return firstBody((json?.[kind] as HclObject | undefined)?.[name]);
}

function lifecycleConditions(body: HclObject, kind: "precondition" | "postcondition"): string[] {
  const lifecycles = (body.lifecycle as HclObject[] | undefined) ?? [];
  return lifecycles.flatMap((l) =>
    ((l[kind] as HclObject[] | undefined) ?? []).map((c) => String(c.condition)),
  );
}

function moduleLocal(files: TfFile[], name: string): unknown {
  for (const file of groupModules(files).get(MODULE_DIR)?.files ?? []) {
    for (const block of (file.json.locals as HclObject[] | undefined) ?? [])
      if (name in block) return block[name];
  }
  throw new Error(`local.${name} not found`);
}

/** Evaluates an expression of the module with Terraform, given variables beyond BASE_VARS. */
async function moduleEval(
  expression: string,
  vars: Record<string, unknown> = {},
  overrides: Record<string, string> = {},
  edits: Edits = {},
): Promise<Evaluation> {
  const module = moduleOf(await loadInfra(edits), MODULE_DIR);
  const source = readFileSync(join(ROOT, VARIABLES_TF), "utf8");
  const variablesSource = edits[VARIABLES_TF]?.(source) ?? source;
  return evaluate(module, expression, { variablesSource, vars: { ...BASE_VARS, ...vars }, overrides });
}

/** The validation errors Terraform reports for these variables (none when it accepts them). */
async function refusals(vars: Record<string, unknown>): Promise<string[]> {
  return (await moduleEval("true", vars)).errors;
}

/** A binding whose IDs are `n` repeated to the usual lengths, its member group name `nameLength` long. */
function binding(n: number, nameLength = 6) {
  const id = (length: number) => String(n % 10).repeat(length);
  return {
    scaling_group_id: `${id(8)}-${id(4)}-${id(4)}-${id(4)}-${id(12)}`,
    instance_id: id(32),
    vpc_channel_id: id(32),
    member_group_name: `web-${String(n).padStart(2, "0")}`.padEnd(nameLength, "x"),
  };
}

describe("channel-autoscaler module: plans that would fail, and deploys that would misbehave", () => {
  it("replaces the agency when name_prefix changes, instead of failing the plan", async () => {
    // The agency's name is non-updatable (FlexibleForceNew over ["name"]) unless enable_force_new.
    const agency = resourceBody(await loadInfra(), "huaweicloud_identity_agency", "functions");
    expect(agency.name).toBe(`\${var.name_prefix}-functions`);
    expect(agency.enable_force_new).toBe("true");
  });

  it("accepts exactly FunctionGraph's memory sizes", async () => {
    const variables = declaredVariables(moduleOf(await loadInfra(), MODULE_DIR));
    const condition = String(firstBody(variables.get("memory_size")?.validation).condition);
    const listed = /contains\(\[([0-9, ]+)\], var\.memory_size\)/.exec(condition)?.[1];
    expect(listed?.split(",").map(Number)).toEqual(FUNCTIONGRAPH_MEMORY_SIZES);
    expect(variables.get("memory_size")?.default).toBe(256);
  });

  it.runIf(TERRAFORM)(
    "refuses slow_start_seconds outside 0–3600 or fractional, and bindings of one member group that disagree on it (terraform)",
    async () => {
      for (const seconds of [-1, 3601, 2.5])
        expect(
          await refusals({ bindings: [{ ...binding(1), slow_start_seconds: seconds }] }),
          String(seconds),
        ).toEqual([expect.stringContaining("slow_start_seconds must be a whole number from 0 to 3600")]);
      for (const seconds of [0, 300, 3600])
        expect(
          await refusals({ bindings: [{ ...binding(1), slow_start_seconds: seconds }] }),
          String(seconds),
        ).toEqual([]);
      const zoneB = {
        ...binding(2),
        vpc_channel_id: binding(1).vpc_channel_id,
        instance_id: binding(1).instance_id,
      };
      zoneB.member_group_name = binding(1).member_group_name;
      expect(await refusals({ bindings: [{ ...binding(1), slow_start_seconds: 300 }, zoneB] })).toEqual([
        expect.stringContaining("must agree on weight, slow_start_seconds"),
      ]);
      // Unset is the function's default, 0: agreeing with an explicit 0.
      expect(await refusals({ bindings: [{ ...binding(1), slow_start_seconds: 0 }, zoneB] })).toEqual([]);
    },
  );

  it.runIf(TERRAFORM)("refuses memory_size 300 and 10240, accepts 256 and 4096 (terraform)", async () => {
    for (const size of [300, 10240, 100])
      expect(await refusals({ memory_size: size }), String(size)).toEqual([
        expect.stringContaining("memory_size must be one of FunctionGraph's sizes"),
      ]);
    for (const size of [256, 4096]) expect(await refusals({ memory_size: size }), String(size)).toEqual([]);
  });

  it.runIf(TERRAFORM)(
    "checks replace_unhealthy's budget fields as the function's schema does (terraform)",
    async () => {
      const apig = (replace_unhealthy: { max_in_standby?: number; cooldown_seconds?: number }) => [
        { ...binding(1), gateway: "apig", replace_unhealthy },
      ];
      const refused = expect.stringContaining("max_in_standby 1-100 (default 1), cooldown_seconds 0-86400");
      for (const bad of [
        { max_in_standby: 0 },
        { max_in_standby: 101 },
        { max_in_standby: 1.5 },
        { cooldown_seconds: -1 },
        { cooldown_seconds: 86401 },
      ])
        expect(await refusals({ bindings: apig(bad) }), JSON.stringify(bad)).toEqual([refused]);
      for (const good of [{}, { max_in_standby: 100, cooldown_seconds: 0 }, { cooldown_seconds: 86400 }])
        expect(await refusals({ bindings: apig(good) }), JSON.stringify(good)).toEqual([]);
    },
  );

  it("passes allow_custom_endpoints as ALLOW_CUSTOM_ENDPOINTS and refuses other hosts at plan time, with the functions' domains", async () => {
    const files = await loadInfra();
    const variables = declaredVariables(moduleOf(files, MODULE_DIR));
    expect(variables.get("allow_custom_endpoints")).toMatchObject({ default: false });
    const environment = moduleLocal(files, "environment_all") as HclObject;
    expect(environment[ENV_KEYS.allowCustomEndpoints]).toBe(`\${var.allow_custom_endpoints ? "true" : null}`);
    expect(moduleLocal(files, "sdk_endpoint_domains")).toEqual(SDK_ENDPOINT_DOMAINS);
    const fn = resourceBody(files, "huaweicloud_fgs_function", "functions");
    expect(lifecycleConditions(fn, "precondition")).toContain(
      `\${var.allow_custom_endpoints || length(local.custom_endpoints) == 0}`,
    );
  });

  it.runIf(TERRAFORM)(
    "holds endpoints to the SDKs' domains and loopback as the functions do, look-alikes included (terraform)",
    async () => {
      const urls = [
        "https://roma.cn-north-4.myhuaweicloud.com",
        "https://SMN.EU-WEST-101.MYHUAWEICLOUD.EU/",
        "https://smn.cn-north-2.myhuaweicloud.cn:443/v2",
        "https://as.ap-southeast-1.myhwclouds.com",
        "http://127.0.0.1:4010",
        "https://[::1]:8443",
        "https://myhuaweicloud.com.evil.example",
        "https://roma.cn-north-4.myhuaweicloud.com.evil.example/",
        "https://evilmyhuaweicloud.com",
        "https://myhuaweicloud.com",
        "https://roma.cn-north-4.myhuaweicloud.com.",
        "https://roma.cn-north-4.myhuaweicloud.c\u043em",
        "https://evil.example\\.myhuaweicloud.com",
        "https://roma.internal.example:8443",
      ];
      for (const url of urls) {
        const functionsAccept = checkEndpoint(url, false).ok;
        const result = await moduleEval("local.custom_endpoints", { endpoints: { roma: url } });
        expect(result, url).toEqual({ value: functionsAccept ? [] : ["roma"], errors: [] });
      }
      // Refused ones are named, sorted, and the flag lifts the precondition.
      const both = { endpoints: { smn: "https://smn.example.org", as: "https://evil.example" } };
      expect(await moduleEval("local.custom_endpoints", both)).toEqual({ value: ["as", "smn"], errors: [] });
      const rule = "var.allow_custom_endpoints || length(local.custom_endpoints) == 0";
      expect(await moduleEval(rule, both)).toEqual({ value: false, errors: [] });
      expect(await moduleEval(rule, { ...both, allow_custom_endpoints: true })).toEqual({
        value: true,
        errors: [],
      });
    },
  );

  it("checks reconcile_schedule against its type before the timer is created", async () => {
    const timer = resourceBody(await loadInfra(), "huaweicloud_fgs_function_trigger", "reconcile_timer");
    expect(lifecycleConditions(timer, "precondition")).toContain(`\${local.reconcile_schedule_valid}`);
  });

  it.runIf(TERRAFORM)("takes Rate and Cron schedules in FunctionGraph's forms only (terraform)", async () => {
    const cases: [string, string, boolean][] = [
      ["Rate", "10m", true],
      ["Rate", "1m", true],
      ["Rate", "60m", true],
      ["Rate", "24h", true],
      ["Rate", "30d", true],
      ["Rate", "61m", false],
      ["Rate", "25h", false],
      ["Rate", "31d", false],
      ["Rate", "0m", false],
      ["Rate", "10s", false],
      ["Rate", "10", false],
      ["Rate", "@every 10m", false],
      ["Rate", "0 */10 * * * *", false],
      ["Cron", "@every 30m", true],
      ["Cron", "@every 1h30m", true],
      ["Cron", "@every 1.5h", true],
      ["Cron", "0 */10 * * * *", true],
      ["Cron", "0 0 10 * * Mon-Fri", true],
      ["Cron", "0 30 8 * *", true],
      ["Cron", "CRON_TZ=Asia/Shanghai 0 0 8 * * *", true],
      ["Cron", "10m", false],
      ["Cron", "*/10 * * *", false],
      ["Cron", "@every ten minutes", false],
    ];
    for (const [type, schedule, valid] of cases) {
      const result = await moduleEval("local.reconcile_schedule_valid", {
        reconcile_schedule_type: type,
        reconcile_schedule: schedule,
      });
      expect(result, `${type} ${schedule}`).toEqual({ value: valid, errors: [] });
    }
  });

  it.runIf(TERRAFORM)(
    "measures the environment as the JSON FunctionGraph receives, and refuses it past the limit (terraform)",
    async () => {
      const files = await loadInfra();
      const fn = resourceBody(files, "huaweicloud_fgs_function", "functions");
      const sizeRule = lifecycleConditions(fn, "precondition").find((c) => c.includes("environment_chars"));
      expect(sizeRule).toBe(`\${local.environment_chars <= var.environment_max_chars}`);
      // 15 bindings whose keys and values add up to less than 4,096 characters, but whose JSON, the
      // string FunctionGraph receives and counts, is longer: BINDINGS' quotes are escaped in it.
      const bindings = Array.from({ length: 15 }, (_, i) => binding(i, 50));
      const environment = (await moduleEval("local.function_environment", { bindings })).value as Record<
        string,
        string
      >;
      const keysAndValues = Object.entries(environment).reduce((n, [k, v]) => n + k.length + v.length, 0);
      const sent = JSON.stringify(environment).length;
      expect(keysAndValues).toBeLessThanOrEqual(4096);
      expect(sent).toBeGreaterThan(4096);
      expect(await moduleEval("local.environment_chars", { bindings })).toEqual({ value: sent, errors: [] });
      expect(await moduleEval(String(sizeRule), { bindings })).toEqual({ value: false, errors: [] });
      expect(await moduleEval(String(sizeRule), { bindings: bindings.slice(0, 10) })).toEqual({
        value: true,
        errors: [],
      });
    },
  );

  it.runIf(TERRAFORM)(
    "refuses a BINDINGS whose JSON string passes 4,096 characters once escaped (terraform)",
    async () => {
      const bindings = Array.from({ length: 20 }, (_, i) => binding(i));
      const raw = JSON.stringify(bindings).length;
      expect(raw).toBeLessThanOrEqual(4096 - "BINDINGS".length);
      expect(JSON.stringify({ BINDINGS: JSON.stringify(bindings) }).length).toBeGreaterThan(4096);
      expect(await refusals({ bindings })).toEqual([expect.stringContaining("BINDINGS, as the JSON string")]);
      expect(await refusals({ bindings: bindings.slice(0, 15) })).toEqual([]);
    },
  );

  it("replaces the SMN trigger with its topic", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    expect(formatFindings(checkReplacedWithReferenced(module, TRIGGER_FOLLOWS_TOPIC))).toEqual([]);
    const trigger = resourceBody(module.files, "huaweicloud_fgs_function_trigger", "scaling_events");
    expect(String(trigger.event_data)).toContain("huaweicloud_smn_topic.events.topic_urn");
  });

  it("puts every regional resource in var.region", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    expect(formatFindings(checkRegions(module, HUAWEICLOUD))).toEqual([]);
  });

  it("ties the function URN and the dead-letter topic URN to region and project_id after apply", async () => {
    const files = await loadInfra();
    const fn = resourceBody(files, "huaweicloud_fgs_function", "functions");
    expect(lifecycleConditions(fn, "postcondition")).toEqual([
      `\${startswith(self.urn, "urn:fss:\${var.region}:\${var.project_id}:function:")}`,
    ]);
    const topic = resourceBody(files, "huaweicloud_smn_topic", "dead_letter");
    expect(lifecycleConditions(topic, "postcondition")).toEqual([
      `\${self.topic_urn == local.dead_letter_topic_urn}`,
    ]);
    expect(moduleLocal(files, "environment_all")).toMatchObject({
      DEAD_LETTER_TOPIC_URN: `\${local.dead_letter_topic_urn}`,
    });
  });

  it.runIf(TERRAFORM)(
    "fails the apply when the provider put the function elsewhere (terraform)",
    async () => {
      const files = await loadInfra();
      const rule = lifecycleConditions(
        resourceBody(files, "huaweicloud_fgs_function", "functions"),
        "postcondition",
      )[0];
      const at = (urn: string) => moduleEval(String(rule), {}, { "self.urn": JSON.stringify(urn) });
      const project = BASE_VARS.project_id;
      expect(
        await at(`urn:fss:eu-west-101:${project}:function:default:channel-autoscaler-reconcile`),
      ).toEqual({
        value: true,
        errors: [],
      });
      expect(await at(`urn:fss:cn-north-4:${project}:function:default:channel-autoscaler-reconcile`)).toEqual(
        {
          value: false,
          errors: [],
        },
      );
      expect(await at("urn:fss:eu-west-101:ffffffffffffffffffffffffffffffff:function:default:x")).toEqual({
        value: false,
        errors: [],
      });
      const topic = lifecycleConditions(
        resourceBody(files, "huaweicloud_smn_topic", "dead_letter"),
        "postcondition",
      )[0];
      expect(
        await moduleEval(
          String(topic),
          {},
          {
            "self.topic_urn": JSON.stringify(`urn:smn:eu-west-101:${project}:channel-autoscaler-dead-letter`),
          },
        ),
      ).toEqual({ value: true, errors: [] });
    },
  );

  it.runIf(TERRAFORM)("checks tag_bindings_allowed entries as the function does (terraform)", async () => {
    const id = "0".repeat(32);
    for (const entry of [`roma:${id}/${id}`, `apig:${id}/*`, "roma:inst_1/chan-2"])
      expect(await refusals({ tag_bindings_allowed: [entry] }), entry).toEqual([]);
    for (const entry of [`elb:${id}/*`, `roma:${id}`, `ROMA:${id}/*`, `roma:../${id}/*`, `roma:${id}/**`, ""])
      expect(await refusals({ tag_bindings_allowed: [entry] }), entry).toEqual([
        expect.stringContaining("Each tag_bindings_allowed entry must be"),
      ]);
  });

  it.runIf(TERRAFORM)("requires tag_bindings_allowed with bindings_from_tags (terraform)", async () => {
    const rule = `\${!var.bindings_from_tags || length(var.tag_bindings_allowed) > 0}`;
    const check = (vars: Record<string, unknown>) => moduleEval(rule, vars);
    expect(await check({ bindings_from_tags: true })).toEqual({ value: false, errors: [] });
    expect(await check({ bindings_from_tags: true, tag_bindings_allowed: ["apig:gw/*"] })).toEqual({
      value: true,
      errors: [],
    });
    expect(await check({})).toEqual({ value: true, errors: [] });
  });

  it.runIf(TERRAFORM)(
    "grants ROMA FullAccess only for a roma binding or allowed entry, the APIG actions only for an apig one (terraform)",
    async () => {
      const grants = async (vars: Record<string, unknown>) => {
        const roles = await moduleEval("local.system_roles", vars);
        const apig = await moduleEval(
          '[for s in local.policy_statements : s if contains(s.Action, "apig:vpcChannels:get")]',
          vars,
        );
        return { roles: roles.value, apig: (apig.value as unknown[]).length };
      };
      const apigBinding = { ...binding(1), gateway: "apig" };
      expect(await grants({ bindings: [apigBinding] })).toEqual({ roles: [], apig: 1 });
      expect(await grants({ bindings: [binding(1)] })).toEqual({ roles: ["ROMA FullAccess"], apig: 0 });
      // Tag discovery grants what its allow-list names, not both gateways.
      const tags = { bindings: [], bindings_from_tags: true };
      expect(await grants({ ...tags, tag_bindings_allowed: ["apig:gw-1/*"] })).toEqual({
        roles: [],
        apig: 1,
      });
      expect(await grants({ ...tags, tag_bindings_allowed: ["roma:r-1/c-1"] })).toEqual({
        roles: ["ROMA FullAccess"],
        apig: 0,
      });
      expect(
        await grants({ bindings: [apigBinding], tag_bindings_allowed: ["roma:r-1/*"] }),
        "an allow-list without tag discovery grants nothing",
      ).toEqual({ roles: [], apig: 1 });
    },
  );

  it("refuses, at plan time, a timeout the drain cannot fit in and a hook that times out first", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    expect(formatFindings(checkNoWarningChecks(module))).toEqual([]);
    const fn = resourceBody(module.files, "huaweicloud_fgs_function", "functions");
    expect(lifecycleConditions(fn, "precondition")).toContain(
      `\${var.timeout >= local.max_drain_seconds + 8}`,
    );
    const hooks = resourceBody(module.files, "huaweicloud_as_lifecycle_hook", "groups");
    expect(lifecycleConditions(hooks, "precondition")[0]).toMatch(/var\.lifecycle_hook_timeout > max\(/);
  });

  it.runIf(TERRAFORM)("evaluates the timeout preconditions against the bindings (terraform)", async () => {
    const files = await loadInfra();
    const drain = `\${var.timeout >= local.max_drain_seconds + 8}`;
    const slow = [{ ...binding(1), drain_seconds: 600 }];
    expect(await moduleEval(drain, { bindings: slow })).toEqual({ value: false, errors: [] });
    expect(await moduleEval(drain, { bindings: slow, timeout: 608 })).toEqual({ value: true, errors: [] });
    const hook = lifecycleConditions(
      resourceBody(files, "huaweicloud_as_lifecycle_hook", "groups"),
      "precondition",
    )[0];
    const group = JSON.stringify(binding(1).scaling_group_id);
    const apig = [{ ...binding(1), gateway: "apig", healthy_timeout_seconds: 1800 }];
    const overrides = { "each.value.scaling_group_id": group };
    expect(await moduleEval(String(hook), { bindings: apig }, overrides)).toEqual({
      value: false,
      errors: [],
    });
    expect(
      // 1800 s of health wait and the default timer's 600 s period.
      await moduleEval(String(hook), { bindings: apig, lifecycle_hook_timeout: 2401 }, overrides),
    ).toEqual({
      value: true,
      errors: [],
    });
  });

  it("looks the system roles up, so an absent one fails the plan instead of being skipped", async () => {
    const files = await loadInfra();
    const lookups = (
      (files.find((f) => f.path === IAM_TF)?.json.data as HclObject)?.huaweicloud_identity_role as HclObject
    )?.system as HclObject[];
    expect(lookups?.[0]).toMatchObject({
      for_each: `\${toset(local.system_roles)}`,
      display_name: `\${each.key}`,
    });
    const agency = resourceBody(files, "huaweicloud_identity_agency", "functions");
    const roles = String((agency.project_role as HclObject[])[0]?.roles);
    expect(roles).toBe(
      `\${concat([huaweicloud_identity_role.functions.name], [for r in data.huaweicloud_identity_role.system : r.display_name])}`,
    );
  });

  it("grants smn:topic:publish unscoped by default, the scoped statement only on request", async () => {
    const variables = declaredVariables(moduleOf(await loadInfra(), MODULE_DIR));
    expect(variables.get("scope_dead_letter_publish")?.default).toBe(false);
    expect(String(variables.get("scope_dead_letter_publish")?.description)).toMatch(/UNVERIFIED/);
  });

  it.runIf(TERRAFORM)("builds the publish statement each way (terraform)", async () => {
    const publish = (scoped?: boolean) =>
      moduleEval(
        '[for s in local.policy_statements : s if contains(s.Action, "smn:topic:publish")]',
        scoped === undefined ? {} : { scope_dead_letter_publish: scoped },
      );
    expect(await publish()).toEqual({
      value: [{ Effect: "Allow", Action: ["smn:topic:publish"] }],
      errors: [],
    });
    expect(await publish(true)).toEqual({
      value: [
        {
          Effect: "Allow",
          Action: ["smn:topic:publish"],
          Resource: ["smn:*:*:topic:channel-autoscaler-dead-letter"],
        },
      ],
      errors: [],
    });
  });

  it("pins the example to the one provider release the module was checked against", async () => {
    const files = await loadInfra();
    const versions = files.find((f) => f.path === `${EXAMPLE_DIR}/versions.tf`)?.json;
    const required = firstBody(firstBody(versions?.terraform).required_providers).huaweicloud;
    expect(required).toEqual({ source: "huaweicloud/huaweicloud", version: "1.97.1" });
    // A lock file, once committed, must lock that same release.
    const lock = join(ROOT, EXAMPLE_DIR, ".terraform.lock.hcl");
    if (existsSync(lock)) expect(readFileSync(lock, "utf8")).toMatch(/version\s*=\s*"1\.97\.1"/);
  });

  it.runIf(TERRAFORM)(
    "names lifecycle hooks distinctly for every prefix, within AS's 32 characters (terraform)",
    async () => {
      const hooks = resourceBody(await loadInfra(), "huaweicloud_as_lifecycle_hook", "groups");
      const prefixes = [
        "channel-autoscaler",
        "channel-autoscaler-production-blue",
        "channel-autoscaler-production-green",
        "c".repeat(45),
        `${"c".repeat(44)}d`,
      ];
      const names: string[] = [];
      for (const prefix of prefixes) {
        for (const kind of ["launch", "terminate"]) {
          const { value, errors } = await moduleEval(
            String(hooks.name),
            { name_prefix: prefix },
            {
              "each.value.kind": JSON.stringify(kind),
            },
          );
          expect(errors).toEqual([]);
          names.push(String(value));
        }
      }
      expect(new Set(names).size).toBe(names.length);
      for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,32}$/);
    },
  );

  it("needs dist_dir from the caller and reaches nothing outside the module", async () => {
    const files = await loadInfra();
    const module = moduleOf(files, MODULE_DIR);
    expect(formatFindings(checkStaysInModule(module))).toEqual([]);
    expect(declaredVariables(module).get("dist_dir")).not.toHaveProperty("default");
    const example = files.find((f) => f.path === `${EXAMPLE_DIR}/main.tf`)?.json;
    const call = labelled(example, "module", "channel_autoscaler");
    expect(call.dist_dir).toBe(`\${path.root}/../../../dist`);
  });

  it("gives every resource that takes them the enterprise project and the tags", async () => {
    const module = moduleOf(await loadInfra(), MODULE_DIR);
    expect(formatFindings(checkEnterpriseProjectAndTags(module, HUAWEICLOUD))).toEqual([]);
    const stream = resourceBody(module.files, "huaweicloud_lts_stream", "functions");
    expect(stream).toMatchObject({
      enterprise_project_id: `\${var.enterprise_project_id}`,
      tags: `\${local.common_tags}`,
    });
  });

  it("lets the example set the IAM fallbacks, the timeouts and the alarms", async () => {
    const files = await loadInfra();
    const example = files.find((f) => f.path === `${EXAMPLE_DIR}/main.tf`)?.json;
    const call = labelled(example, "module", "channel_autoscaler");
    const passed = [
      "roma_policy_actions",
      "fan_out_invoke_grant",
      "scope_dead_letter_publish",
      "timeout",
      "lifecycle_hook_timeout",
      "alarms_enabled",
      "alarm_emails",
      "alarm_user_name",
    ];
    for (const name of passed) expect(call[name], name).toBe(`\${var.${name}}`);
    // Passed as null they take the module's default, which only a non-nullable variable does.
    const variables = declaredVariables(moduleOf(files, MODULE_DIR));
    for (const name of passed.filter((n) => !["roma_policy_actions", "alarm_user_name"].includes(n)))
      expect(variables.get(name)?.nullable, name).toBe(false);
  });
});

/** LTS splits a log line into words at these delimiters (usermanual-lts/lts_05_0111.html, the defaults). */
const LTS_DELIMITERS = /[,'";=()[\]{}@&<>/:\\?\n\t\r ]+/;

describe("alarms", () => {
  it("watch each function's failed and throttled invocations in Cloud Eye, notifying the alarm topic", async () => {
    const files = await loadInfra();
    const rule = resourceBody(files, "huaweicloud_ces_alarmrule", "functions");
    expect(rule.for_each).toBe(`\${var.alarms_enabled ? local.function_alarms : {}}`);
    expect(rule.metric).toEqual([{ namespace: "SYS.FunctionGraph" }]);
    const dimension = firstBody(firstBody(rule.resources).dimensions);
    expect(dimension).toEqual({
      name: "package-functionname",
      value: `\${huaweicloud_fgs_function.functions[each.value.function].app}-\${huaweicloud_fgs_function.functions[each.value.function].name}`,
    });
    const metrics = moduleLocal(files, "function_alarm_metrics") as Record<string, HclObject>;
    expect(Object.fromEntries(Object.entries(metrics).map(([k, m]) => [k, m.metric_name]))).toEqual({
      failures: "failcount",
      throttles: "rejectcount",
    });
    const topic = [`\${huaweicloud_smn_topic.alarms[0].topic_urn}`];
    expect(rule.alarm_actions).toEqual([{ type: "notification", notification_list: topic }]);
    expect(rule.ok_actions).toEqual([{ type: "notification", notification_list: topic }]);
  });

  it("watch each function's log stream for dead-letter records in LTS, notifying the alarm topic", async () => {
    const files = await loadInfra();
    const rule = resourceBody(files, "huaweicloud_lts_keywords_alarm_rule", "dead_letters");
    const request = (rule.keywords_requests as HclObject[])[0];
    expect(request).toMatchObject({
      keywords: `\${local.dead_letter_keywords}`,
      log_stream_id: `\${huaweicloud_lts_stream.functions[each.key].id}`,
    });
    const save = (rule.notification_save_rule as HclObject[])[0];
    expect(save?.topics).toEqual([
      {
        name: `\${huaweicloud_smn_topic.alarms[0].name}`,
        topic_urn: `\${huaweicloud_smn_topic.alarms[0].topic_urn}`,
      },
    ]);
    // The keyword is a whole word of a dead-letter record's line, and of no other line the functions log.
    const keyword = String(moduleLocal(files, "dead_letter_keywords"));
    const words = (line: string) => line.split(LTS_DELIMITERS);
    const record = JSON.stringify({ dead_letter: true, version: 1, action: "add_members", error: "x" });
    expect(words(record)).toContain(keyword);
    const others = [
      JSON.stringify({
        level: "info",
        msg: "run summary",
        dead_lettered: 0,
        dead_letter_delivery: { published: 0 },
      }),
      JSON.stringify({ level: "error", action: "publish_dead_letter", dead_letter_action: "add_members" }),
    ];
    for (const line of others) expect(words(line)).not.toContain(keyword);
  });

  it("subscribe alarm_emails to the alarm topic by email", async () => {
    const subscription = resourceBody(await loadInfra(), "huaweicloud_smn_subscription", "alarm_emails");
    expect(subscription).toMatchObject({
      for_each: `\${var.alarms_enabled ? toset(var.alarm_emails) : toset([])}`,
      topic_urn: `\${huaweicloud_smn_topic.alarms[0].topic_urn}`,
      protocol: "email",
      endpoint: `\${each.key}`,
    });
  });

  it.runIf(TERRAFORM)("are on by default and all go with alarms_enabled = false (terraform)", async () => {
    const files = await loadInfra();
    const count = (type: string, name: string, vars: Record<string, unknown>) => {
      const body = resourceBody(files, type, name);
      const expression = String(body.for_each ?? body.count);
      return moduleEval(
        body.for_each === undefined ? expression : `length(${expression.slice(2, -1)})`,
        vars,
      );
    };
    const on = { alarm_user_name: "ops", alarm_emails: ["a@example.com", "b@example.com"] };
    expect(await count("huaweicloud_smn_topic", "alarms", {})).toEqual({ value: 1, errors: [] });
    expect(await count("huaweicloud_ces_alarmrule", "functions", {})).toEqual({ value: 6, errors: [] });
    expect(await count("huaweicloud_lts_keywords_alarm_rule", "dead_letters", {})).toEqual({
      value: 0,
      errors: [],
    });
    expect(await count("huaweicloud_lts_keywords_alarm_rule", "dead_letters", on)).toEqual({
      value: 3,
      errors: [],
    });
    expect(await count("huaweicloud_smn_subscription", "alarm_emails", on)).toEqual({ value: 2, errors: [] });
    const off = { ...on, alarms_enabled: false };
    for (const [type, name] of [
      ["huaweicloud_smn_topic", "alarms"],
      ["huaweicloud_ces_alarmrule", "functions"],
      ["huaweicloud_lts_keywords_alarm_rule", "dead_letters"],
      ["huaweicloud_smn_subscription", "alarm_emails"],
    ] as const)
      expect(await count(type, name, off), type).toEqual({ value: 0, errors: [] });
  });

  it.runIf(TERRAFORM)(
    "refuse a name_prefix too long for Cloud Eye's 64-character dimension value (terraform)",
    async () => {
      const rule = resourceBody(await loadInfra(), "huaweicloud_ces_alarmrule", "functions");
      const [fits] = lifecycleConditions(rule, "precondition");
      expect(await moduleEval(String(fits), { name_prefix: "c".repeat(41) })).toEqual({
        value: true,
        errors: [],
      });
      expect(await moduleEval(String(fits), { name_prefix: "c".repeat(42) })).toEqual({
        value: false,
        errors: [],
      });
    },
  );
});

describe("the new checks fail when the configuration is wrong", () => {
  it("reports a regional resource left to the provider's region", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/functions.tf`]: replaceOnce(
        "  region                = var.region\n  group_name",
        "  group_name",
      ),
    });
    expect(findings).toEqual([
      expect.stringContaining("resource huaweicloud_lts_group.functions: region is not set, not var.region"),
    ]);
  });

  it("reports an SMN trigger that a new topic would not replace", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/functions.tf`]: replaceOnce(
        "    replace_triggered_by = [huaweicloud_smn_topic.events.id]\n",
        "",
      ),
    });
    expect(findings).toEqual([
      expect.stringContaining(
        "huaweicloud_fgs_function_trigger.scaling_events: event_data names huaweicloud_smn_topic.events, but a new events does not replace it",
      ),
    ]);
  });

  it("reports a check block, a path outside the module and a resource without its tags", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/main.tf`]: (source) =>
        `${replaceOnce(`"\${var.dist_dir}/`, `"\${path.module}/../`)(source)}\ncheck "drain" {\n  assert {\n    condition     = true\n    error_message = "x"\n  }\n}\n`,
      [`${MODULE_DIR}/functions.tf`]: replaceOnce(
        "  tags                  = local.common_tags\n}\n\n# One stream",
        "}\n\n# One stream",
      ),
    });
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('check "drain" only warns at plan time'),
        expect.stringContaining("resource huaweicloud_lts_group.functions: tags is not set"),
        expect.stringContaining("reaches outside the module through path.module"),
      ]),
    );
    expect(findings).toHaveLength(3);
  });

  it("reports a misspelt argument two blocks deep, and a data source or data reference it does not know", async () => {
    const findings = await checkInfra({
      [`${MODULE_DIR}/alarms.tf`]: replaceOnce(
        'name  = "package-functionname"',
        'nmae  = "package-functionname"',
      ),
      [IAM_TF]: (source) =>
        replaceOnce(
          "data.huaweicloud_identity_role.system :",
          "data.huaweicloud_identity_role.systems :",
        )(
          replaceOnce(
            'data "huaweicloud_identity_role" "system"',
            'data "huaweicloud_identity_roles" "system"',
          )(source),
        ),
    });
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.stringContaining('resources dimensions: "nmae" is not a documented argument'),
        expect.stringContaining('data source "huaweicloud_identity_roles" is not in the allowlist'),
        expect.stringContaining("data.huaweicloud_identity_role.systems is referenced but not declared"),
      ]),
    );
    expect(findings).toHaveLength(3);
  });
});

describe("expression helpers", () => {
  it("find outer interpolations and the names they reference", () => {
    const text = `x-\${var.a}-\${jsonencode({ k = "\${var.b}" })}-$\${var.literal}`;
    expect(interpolations(text)).toEqual(["var.a", `jsonencode({ k = "\${var.b}" })`]);
    expect(references(text, "var")).toEqual(["a", "b"]);
    expect(references(`\${local.x.y + each.var.z}`, "local")).toEqual(["x"]);
    expect(references("plain text mentioning var.nothing", "var")).toEqual([]);
  });
});
