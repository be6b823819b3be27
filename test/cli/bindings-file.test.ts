import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli";
import { baseState, type Emulator, envFor, instance, startEmulator, webBinding } from "../support/harness";

// The bindings a deployment uses, read where it keeps them: a JSON array, Terraform's
// terraform.tfvars.json, or what `terraform output -json` prints.

const root = path.resolve(import.meta.dirname, "../..");
const TFVARS_EXAMPLE = path.join(root, "infra/examples/basic/terraform.tfvars.json.example");

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "cli-bindings-file-"));
});

const cli = (argv: string[], env: Record<string, string> = {}) => runCli(argv, env, dir);
const write = (name: string, value: unknown) =>
  writeFileSync(path.join(dir, name), typeof value === "string" ? value : JSON.stringify(value, null, 2));

/** Real-looking ids: 32 hex characters (gateway instances, channels) and a UUID (AS groups). */
const hex = (seed: string) => seed.repeat(32).slice(0, 32);
const uuid = (seed: string) => {
  const h = hex(seed);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};
const full = [
  {
    scaling_group_id: uuid("3b1c"),
    instance_id: hex("eddc4d25"),
    vpc_channel_id: hex("56a7d735"),
    member_group_name: "web-frontend",
    weight: 10,
    port: 8080,
    drain_seconds: 60,
  },
  {
    scaling_group_id: uuid("9f0e"),
    gateway: "apig",
    instance_id: hex("a1b2c3d4"),
    vpc_channel_id: hex("c3d4e5f6"),
    member_group_name: "standby-pool",
    standby: true,
    healthy_timeout_seconds: 600,
    replace_unhealthy: { after_seconds: 600 },
    health_check: {
      protocol: "HTTPS",
      path: "/internal/health/ready",
      method: "GET",
      http_code: "200-299",
      threshold_normal: 2,
      threshold_abnormal: 3,
      time_interval: 10,
      timeout: 5,
    },
  },
];

describe("validate reads the bindings where the deployment keeps them", () => {
  it("a terraform.tfvars.json: the example's bindings, named by the file", async () => {
    const res = await cli(["validate", TFVARS_EXAMPLE]);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(
      `${TFVARS_EXAMPLE}: bindings: valid, 2 bindings (2 scaling groups, 2 channels)`,
    );
  });

  it("a tfvars field set to null takes its default, as in the module; a mistake is named by file and path", async () => {
    write("terraform.tfvars.json", {
      region: "eu-west-101",
      bindings: [{ ...webBinding, port: null, health_check: null, replace_unhealthy: null }],
    });
    const ok = await cli(["validate", "--json", "terraform.tfvars.json"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).list[0]).not.toHaveProperty("port");

    write("terraform.tfvars.json", { bindings: [{ ...webBinding, weight: -1 }] });
    const bad = await cli(["validate", "terraform.tfvars.json"]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toContain("  - terraform.tfvars.json: bindings[0].weight: Too small");
    write("terraform.tfvars.json", { bindings: "[]" });
    expect((await cli(["validate", "terraform.tfvars.json"])).stdout).toContain(
      "terraform.tfvars.json: bindings: must be a list of bindings",
    );
  });

  it("`terraform output -json`, whole or its bindings_json alone: what was deployed", async () => {
    const deployed = JSON.stringify([webBinding]);
    write("outputs.json", {
      bindings_json: { sensitive: false, type: "string", value: deployed },
      function_urns: { sensitive: false, type: ["map", "string"], value: {} },
    });
    const whole = await cli(["validate", "outputs.json"]);
    expect(whole.code).toBe(0);
    expect(whole.stdout).toContain("outputs.json: bindings_json: valid, 1 binding");
    write("bindings_json.json", JSON.stringify(deployed));
    expect((await cli(["validate", "bindings_json.json"])).code).toBe(0);

    write("outputs.json", { bindings_json: { sensitive: false, type: "string", value: null } });
    const tagsOnly = await cli(["validate", "outputs.json"]);
    expect(tagsOnly.code).toBe(2);
    expect(tagsOnly.stdout).toContain("outputs.json: bindings_json: holds no BINDINGS");
  });

  it("a file that holds no bindings says what shapes it reads", async () => {
    write("other.json", { region: "eu-west-101" });
    const res = await cli(["validate", "other.json"]);
    expect(res.code).toBe(2);
    expect(res.stdout).toContain(
      'other.json: holds no bindings: expected a JSON array of bindings, a Terraform variables file with "bindings": [...]',
    );
  });
});

describe("validate shows every setting, compactly", () => {
  it("with 32-hex ids every line fits 120 columns; --json holds the ids whole", async () => {
    write("full.json", full);
    const res = await cli(["validate", "full.json"]);
    expect(res.code).toBe(0);
    const lines = res.stdout.trimEnd().split("\n");
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(120);
    // Every setting of the schema, the objects included.
    expect(lines).toContainEqual(
      expect.stringMatching(/^ {2}# +WEIGHT +SLOW START +PORT +STANDBY +DRAIN +HEALTHY TIMEOUT/),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}0 +10 +0 s +8080 +no +60 s +300 s/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}1 +1 +0 s +- +yes +30 s +600 s/));
    expect(res.stdout).toContain("  1 health_check: protocol HTTPS, path /internal/health/ready,");
    expect(res.stdout).toContain(
      "  1 replace_unhealthy: after_seconds 600 s, max_per_run 1, max_unhealthy_fraction 0.5",
    );
    expect(res.stdout).toContain(`  0  ${uuid("3b1c").slice(0, 8)}…`);
    expect(res.stdout).not.toContain(hex("eddc4d25"));
    const doc = JSON.parse((await cli(["validate", "--json", "full.json"])).stdout);
    expect(doc.list.map((b: { instance_id: string }) => b.instance_id)).toEqual([
      hex("eddc4d25"),
      hex("a1b2c3d4"),
    ]);
  });
});

describe("plan and sync read the same files", () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(async () => {
    await emu.close();
  });

  it("plan --bindings terraform.tfvars.json plans what the same bindings as an array plan", async () => {
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    const { BINDINGS: _, ...env } = envFor(emu, []);
    write("bindings.json", [webBinding]);
    write("terraform.tfvars.json", { region: "eu-west-101", bindings: [webBinding] });
    const fromArray = await cli(["plan", "--bindings", "bindings.json"], env);
    const fromTfvars = await cli(["plan", "--bindings", "terraform.tfvars.json"], env);
    expect(fromTfvars.code).toBe(0);
    const plan = (out: string) => out.replace(/; [\d.]+ s$/m, "");
    expect(plan(fromTfvars.stdout)).toBe(plan(fromArray.stdout));
    expect(fromTfvars.stdout).toMatch(/\n {2}add +i-1 /);
    expect(readFileSync(path.join(dir, "terraform.tfvars.json"), "utf8")).toContain("eu-west-101");
  });
});
