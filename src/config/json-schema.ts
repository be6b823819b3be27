import * as z from "zod";
import { BindingsSchema } from "./schema";

/** What each field means, for editors that show a schema's descriptions (docs/configuration.md says the same). */
const BINDING_FIELDS: Record<string, string> = {
  scaling_group_id: "The Auto Scaling group whose healthy instances become members.",
  gateway: '"roma" for ROMA Connect (/apic/ paths), "apig" for a dedicated API Gateway (/apigw/ paths).',
  instance_id: "The ROMA Connect or APIG instance id.",
  vpc_channel_id: "The VPC channel id.",
  member_group_name:
    "The member group this binding owns; members of other groups are never touched. Created if missing.",
  weight: "Member weight, 0-10000.",
  slow_start_seconds:
    "Slow start window, 0-3600 s (0: off): a new member is added at a tenth of weight and raised to it in up to 5 steps across this window, counted from its create_time.",
  port: "Member port; when unset the member takes the channel's port and it is not enforced.",
  standby: "Send members with is_backup: true (they serve only when every other member is faulty).",
  drain_seconds: "Wait between disabling a member and deleting it, 0-3600 s.",
  healthy_timeout_seconds:
    "Launch hooks on APIG: wait this long for the member to report healthy, then ABANDON.",
  health_check: "A vpc_health_config object to enforce on the channel (PUT health-config when it differs).",
  replace_unhealthy:
    "APIG only: a member unhealthy across after_seconds (60-86400, default 300) has its instance moved to AS standby with a replacement; at most max_per_run (1-10, default 1) per run, none while more than max_unhealthy_fraction (0-1, default 0.5) of the members are unhealthy.",
};

/**
 * The JSON Schema of a bindings file (what BINDINGS holds), generated from the zod schema so editors
 * validate bindings files as the functions do. Cross-binding rules (duplicates, settings that shared
 * member groups must agree on) cannot be expressed in JSON Schema: `channel-autoscaler validate` checks them.
 */
export function bindingsJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(BindingsSchema(), { io: "input", target: "draft-07" }) as Record<
    string,
    unknown
  >;
  const items = schema.items as { properties: Record<string, Record<string, unknown>> };
  for (const [field, description] of Object.entries(BINDING_FIELDS)) {
    const property = items.properties[field];
    if (property) property.description = description;
  }
  return {
    $schema: schema.$schema,
    title: "channel-autoscaler bindings",
    description:
      "The BINDINGS value: a JSON array of bindings, each tying one Auto Scaling group to one member group of one VPC channel. Generated from src/config/schema.ts by npm run schema.",
    ...schema,
  };
}

/** The committed file's text: two-space JSON with a final newline. */
export function bindingsJsonSchemaText(): string {
  return `${JSON.stringify(bindingsJsonSchema(), null, 2)}\n`;
}
