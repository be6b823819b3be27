import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import { describe, expect, it } from "vitest";
import { FUNCTION_TIMEOUT_S } from "../../src/cli/run-command";
import { SAFETY_MARGIN_MS } from "../../src/runtime/invoke";
import { DEFAULT_SYNC_OPTIONS } from "../../src/sync/types";
import { runCli } from "../support/cli";
import { groupModules, type HclObject, type TfFile } from "./check-terraform";
import { evaluate, TERRAFORM } from "./terraform-eval";

// What the code, the Terraform module and the docs each say of one number, read from all of them:
// where two places state a fact, a test holds them together.

const ROOT = join(__dirname, "..", "..");
const MODULE_DIR = "infra/modules/channel-autoscaler";
const EXAMPLE_DIR = "infra/examples/basic";
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const cliDoc = readFileSync(join(ROOT, "docs/cli.md"), "utf8");
const configurationDoc = readFileSync(join(ROOT, "docs/configuration.md"), "utf8");
/** README and every document under docs/, for a fact that any of them may state. */
const allDocs = [
  readme,
  ...readdirSync(join(ROOT, "docs"))
    .filter((n) => n.endsWith(".md"))
    .map((n) => readFileSync(join(ROOT, "docs", n), "utf8")),
].join("\n");
const source = (path: string) => readFileSync(join(ROOT, path), "utf8");

async function parsed(path: string): Promise<TfFile> {
  const { parse } = await import("@cdktf/hcl2json");
  return { path, json: (await parse(path, source(path))) as HclObject };
}

async function moduleFiles(dir: string): Promise<TfFile[]> {
  const names = readdirSync(join(ROOT, dir)).filter((n) => n.endsWith(".tf"));
  return Promise.all(names.map((n) => parsed(posix.join(dir, n))));
}

/** A variable block of a parsed file (hcl2json gives each as a one-element list). */
function variable(file: TfFile, name: string): HclObject {
  return ((file.json.variable as HclObject)[name] as HclObject[])[0]!;
}

/** The module's expressions evaluated by Terraform itself, against these variables. */
async function moduleEval(expression: string, vars: Record<string, unknown>, overrides = {}) {
  const module = groupModules(await moduleFiles(MODULE_DIR)).get(MODULE_DIR)!;
  return evaluate(module, expression, {
    variablesSource: source(`${MODULE_DIR}/variables.tf`),
    vars: {
      region: "eu-west-101",
      project_id: "0123456789abcdef0123456789abcdef",
      dist_dir: "../../../dist",
      ...vars,
    },
    overrides,
  });
}

function precondition(file: TfFile, type: string, name: string): string {
  const resource = ((file.json.resource as HclObject)[type] as HclObject)[name] as HclObject[];
  const lifecycle = (resource[0]!.lifecycle as HclObject[])[0]!;
  return String(((lifecycle.precondition as HclObject[])[0] as HclObject).condition);
}

describe("the CLI's --timeout and the function's timeout", () => {
  it("default to the same number of seconds, in the code, the module and docs/cli.md", async () => {
    const variables = await parsed(`${MODULE_DIR}/variables.tf`);
    expect(variable(variables, "timeout").default).toBe(FUNCTION_TIMEOUT_S);
    const row = cliDoc.split("\n").find((l) => l.startsWith("| `--timeout <seconds>`"));
    expect(row).toContain(`(default ${FUNCTION_TIMEOUT_S}, the Terraform module's \`timeout\`)`);
    const help = await runCli(["sync", "--help"], {}, ROOT);
    expect(help.stdout).toContain(`(default: ${FUNCTION_TIMEOUT_S})`);
  });
});

describe("what drain_seconds must leave of the function's timeout", () => {
  it("is the reconcile's reserve plus the invocation's safety margin, in the code, the module and the docs", async () => {
    const margin = (DEFAULT_SYNC_OPTIONS.drainReserveMs + SAFETY_MARGIN_MS) / 1000;
    expect(margin).toBe(8);
    const functions = await parsed(`${MODULE_DIR}/functions.tf`);
    const fn = ((functions.json.resource as HclObject).huaweicloud_fgs_function as HclObject).functions;
    const conditions = ((fn as HclObject[])[0]!.lifecycle as HclObject[])[0]!.precondition as HclObject[];
    expect(conditions.map((c) => c.condition)).toContain(
      `\${var.timeout >= local.max_drain_seconds + ${margin}}`,
    );
    const said = [...allDocs.matchAll(/must fit in the function's timeout less (\d+) s/g)].map((m) =>
      Number(m[1]),
    );
    expect(said.length).toBeGreaterThan(0);
    expect(new Set(said)).toEqual(new Set([margin]));
  });
});

describe("what a lifecycle hook's timeout must cover", () => {
  it("is the waits plus one reconcile period, in the module's check, its description and docs/configuration.md", async () => {
    const events = await parsed(`${MODULE_DIR}/events.tf`);
    expect(precondition(events, "huaweicloud_as_lifecycle_hook", "groups")).toMatch(
      /var\.lifecycle_hook_timeout > max\(.*\) \+ local\.reconcile_period_seconds/,
    );
    const variables = await parsed(`${MODULE_DIR}/variables.tf`);
    expect(variable(variables, "lifecycle_hook_timeout").description).toContain("plus one reconcile period");
    expect(configurationDoc).toMatch(/`healthy_timeout_seconds`, plus one reconcile\s+period/);
  });

  it.runIf(TERRAFORM)("refuses a hook timeout the waits and a Rate period exceed (terraform)", async () => {
    const events = await parsed(`${MODULE_DIR}/events.tf`);
    const hook = precondition(events, "huaweicloud_as_lifecycle_hook", "groups");
    const group = "3b1c2d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d";
    const bindings = [
      {
        scaling_group_id: group,
        gateway: "apig",
        instance_id: "0".repeat(32),
        vpc_channel_id: "1".repeat(32),
        member_group_name: "web",
        healthy_timeout_seconds: 300,
      },
    ];
    const overrides = { "each.value.scaling_group_id": JSON.stringify(group) };
    const check = async (vars: Record<string, unknown>) =>
      (await moduleEval(hook, { bindings, ...vars }, overrides)).value;
    // The default timer, 10m: 300 s of waits + 600 s.
    expect(await check({ lifecycle_hook_timeout: 900 })).toBe(false);
    expect(await check({ lifecycle_hook_timeout: 901 })).toBe(true);
    expect(await check({ lifecycle_hook_timeout: 1200, reconcile_schedule: "1h" })).toBe(false);
    // A Cron schedule's period is not worked out: the waits alone.
    expect(
      await check({
        lifecycle_hook_timeout: 301,
        reconcile_schedule_type: "Cron",
        reconcile_schedule: "@every 1h",
      }),
    ).toBe(true);
  });
});

describe("the bindings in one place", () => {
  it("the module outputs the BINDINGS it deploys, and the example passes it on", async () => {
    const outputs = (file: TfFile) => file.json.output as HclObject;
    const module = await parsed(`${MODULE_DIR}/outputs.tf`);
    const example = await parsed(`${EXAMPLE_DIR}/outputs.tf`);
    expect((outputs(module).bindings_json as HclObject[])[0]!.value).toBe(`\${local.bindings_json}`);
    expect((outputs(example).bindings_json as HclObject[])[0]!.value).toBe(
      `\${module.channel_autoscaler.bindings_json}`,
    );
  });

  it.runIf(TERRAFORM)(
    "`terraform output -json` of the example's tfvars holds the bindings validate reads from the tfvars (terraform)",
    async () => {
      const tfvars = `${EXAMPLE_DIR}/terraform.tfvars.json.example`;
      const { bindings } = JSON.parse(source(tfvars));
      const deployed = await moduleEval("local.bindings_json", { bindings });
      expect(deployed.errors).toEqual([]);
      const dir = mkdtempSync(join(tmpdir(), "tf-output-"));
      writeFileSync(
        join(dir, "outputs.json"),
        JSON.stringify({ bindings_json: { sensitive: false, type: "string", value: deployed.value } }),
      );
      const fromOutput = await runCli(["validate", "--json", "outputs.json"], {}, dir);
      const fromTfvars = await runCli(["validate", "--json", join(ROOT, tfvars)], {}, dir);
      expect(fromOutput.code).toBe(0);
      expect(JSON.parse(fromOutput.stdout).list).toEqual(JSON.parse(fromTfvars.stdout).list);
    },
  );
});
