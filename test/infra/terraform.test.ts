import { readdirSync, readFileSync } from "node:fs";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { DEPLOYED_ENV_KEYS, ENV_KEYS } from "../../src/config/keys";
import { BindingSchema, HealthCheckSchema } from "../../src/config/schema";
import {
  type Allowlist,
  checkCitedActions,
  checkEnvironment,
  checkModule,
  checkModuleCalls,
  checkReplacedWhenChanged,
  checkResources,
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

/**
 * Resource types and arguments of huaweicloud/huaweicloud (~> 1.97) this project may use, written
 * by hand from the provider's documentation (github.com/huaweicloud/terraform-provider-huaweicloud,
 * docs/resources/<name>.md, e.g. docs/resources/identity_role.md for huaweicloud_identity_role). Only
 * arguments whose names are documented are listed; add to it from the docs, never from a schema dump.
 */
const HUAWEICLOUD: Allowlist = {
  resources: {
    huaweicloud_fgs_function: {
      args: [
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
      args: ["function_urn", "type", "event_data", "status", "cascade_delete_eg_subscription"],
    },
    huaweicloud_fgs_async_invoke_configuration: {
      args: [
        "function_urn",
        "max_async_event_age_in_seconds",
        "max_async_retry_attempts",
        "enable_async_status_log",
      ],
      blocks: { on_success: ["destination", "param"], on_failure: ["destination", "param"] },
    },
    huaweicloud_as_lifecycle_hook: {
      args: [
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
      args: ["scaling_group_id", "topic_urn", "events"],
    },
    huaweicloud_smn_topic: {
      args: [
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
        // In the Go schema (ExactlyOneOf with delegated_domain_name), no longer in the docs: reference section 1.7.
        "delegated_service_name",
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
      args: ["group_name", "ttl_in_days", "tags", "enterprise_project_id"],
    },
    huaweicloud_lts_stream: {
      args: ["group_id", "stream_name", "ttl_in_days", "tags", "enterprise_project_id", "is_favorite"],
    },
    // Built into Terraform (>= 1.4), not the provider: developer.hashicorp.com/terraform/language/resources/terraform-data.
    terraform_data: { args: ["input", "triggers_replace"] },
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
async function loadInfra(edits: Edits = {}): Promise<TfFile[]> {
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

  it("terraform.tfvars.example parses", async () => {
    const json = await parseHcl("terraform.tfvars", readFileSync(join(ROOT, TFVARS_EXAMPLE), "utf8"));
    expect(json).toHaveProperty("bindings");
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
    expect(locals?.zip_paths).toContain(`\${local.dist_dir}/\${name}.zip`);
    expect(locals?.dist_dir).toContain(`\${path.module}/../../../dist`);
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
      /b\.healthy_timeout_seconds >= 0 && b\.healthy_timeout_seconds <= 86400/,
      /contains\(\["roma", "apig"\], b\.gateway\)/,
      /\^\[A-Za-z0-9\]\[A-Za-z0-9_-\]\{0,63\}\$/,
      /\{2,63\}\$/,
      /length\(var\.bindings\) == length\(distinct\(/,
      /weight, 1\), b\.port, coalesce\(b\.standby, false\), coalesce\(b\.drain_seconds, 30\), coalesce\(b\.healthy_timeout_seconds, 300\)/,
      /jsonencode\(b\.health_check\)/,
      /\["TCP", "HTTP", "HTTPS", "tcp", "http", "https"\]/,
      /n >= 1 && n <= 10/,
      /hc\.time_interval >= 5 && hc\.time_interval <= 300/,
      /hc\.timeout >= 2 && hc\.timeout <= 30 && floor\(hc\.timeout\) == hc\.timeout && hc\.timeout < hc\.time_interval/,
      /hc\.path != null && hc\.http_code != null/,
      /<= 4096 - length\("BINDINGS"\)/,
      /b\.replace_unhealthy == null \? true : coalesce\(b\.gateway, "roma"\) == "apig"/,
      /r\.after_seconds >= 60 && r\.after_seconds <= 86400/,
      /r\.max_per_run >= 1 && r\.max_per_run <= 10/,
      /r\.max_unhealthy_fraction >= 0 && r\.max_unhealthy_fraction <= 1/,
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
    // Issue 17: the narrow channel-setup actions, never unconditionally.
    expect(apig).toMatch(
      /var\.create_member_groups \? \["apig:vpcChannels:addOrUpdateMemberGroups"\] : \[\]/,
    );
    expect(apig).toMatch(/local\.apig_health_check \? \["apig:vpcChannels:update"\] : \[\]/);
    expect(String(locals.apig_health_check)).toMatch(/b\.health_check != null/);
    // Issue 12: tag discovery.
    expect(as).toMatch(
      /var\.bindings_from_tags \? \[\s*"as:tagResources:list",\s*"as:tags:get",?\s*\] : \[\]/,
    );
    // Issue 13: exactly the AS batch action and the ECS tag actions, only with replace_unhealthy.
    expect(as).toMatch(/local\.replace_unhealthy \? \["as:instances:batchAction"\] : \[\]/);
    expect(ecs).toMatch(
      /local\.replace_unhealthy \? \[\s*"ecs:cloudServers:batchSetServerTags",\s*"ecs:cloudServers:showServerTags",?\s*\] : \[\]/,
    );
    expect(String(locals.replace_unhealthy)).toMatch(/b\.replace_unhealthy != null/);
    // Issue 14: no server GET (no call needs it); invokeAsync on the backfill function alone.
    expect(JSON.stringify(locals)).not.toContain("ecs:cloudServers:get");
    expect(String(locals.backfill_function_resource)).toBe(
      `FunctionGraph:*:*:function:default/\${var.name_prefix}-backfill`,
    );
    expect(code(locals.policy_statements)).toMatch(
      /Action = \["functiongraph:function:invokeAsync"\], Resource = \[local\.backfill_function_resource\]/,
    );
    // Issue 10: system roles where no fine-grained action is published.
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
        )(replaceOnce("log_level          = var.log_level", "log_lvl = var.log_level")(source)),
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

describe("expression helpers", () => {
  it("find outer interpolations and the names they reference", () => {
    const text = `x-\${var.a}-\${jsonencode({ k = "\${var.b}" })}-$\${var.literal}`;
    expect(interpolations(text)).toEqual(["var.a", `jsonencode({ k = "\${var.b}" })`]);
    expect(references(text, "var")).toEqual(["a", "b"]);
    expect(references(`\${local.x.y + each.var.z}`, "local")).toEqual(["x"]);
    expect(references("plain text mentioning var.nothing", "var")).toEqual([]);
  });
});
