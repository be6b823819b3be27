import * as z from "zod/mini";
import { type BindingRef, bindingLabel, channelKey, targetKey } from "../plan/identity";
import { lazy } from "./zod";

// Built on first use, not at module load (src/config/zod.ts): cold start is what requiring a bundle costs.

/** A whole number from min to max (`z.number().int().min(min).max(max)` in `zod`). */
const int = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));

/**
 * The API's enum is upper-case (`TCP`/`HTTP`/`HTTPS`, the official SDKs' `VpcHealthConfig` model): users may write either
 * case, the configuration holds (and so every request sends) the upper-case value.
 */
const HealthProtocolSchema = lazy(() =>
  z.pipe(
    z.enum(["TCP", "HTTP", "HTTPS", "tcp", "http", "https"]),
    z.transform((p) => p.toUpperCase() as "TCP" | "HTTP" | "HTTPS"),
  ),
);

/** Fields the gateway accepts in `vpc_health_config` (huaweicloud-sdk-go-v3 `services/apig/v2/model/model_vpc_health_config.go`). */
export const HealthCheckSchema = lazy(() =>
  z
    .strictObject({
      protocol: HealthProtocolSchema(),
      path: z.optional(z.string().check(z.minLength(1), z.maxLength(512))),
      method: z.optional(z.enum(["GET", "HEAD"])),
      port: z.optional(int(0, 65535)),
      threshold_normal: int(1, 10),
      threshold_abnormal: int(1, 10),
      time_interval: int(5, 300),
      timeout: int(2, 30),
      http_code: z.optional(
        z
          .string()
          .check(z.regex(/^\d{3}(-\d{3})?(,\d{3}(-\d{3})?)*$/, "like 200, 200-299 or 200,201,210-299")),
      ),
      enable_client_ssl: z.optional(z.boolean()),
    })
    .check(
      z.superRefine((hc, ctx) => {
        if (hc.timeout >= hc.time_interval) {
          ctx.addIssue({ code: "custom", path: ["timeout"], message: "must be less than time_interval" });
        }
        if (hc.protocol !== "TCP") {
          if (!hc.path)
            ctx.addIssue({ code: "custom", path: ["path"], message: "is required for http/https" });
          if (!hc.http_code)
            ctx.addIssue({ code: "custom", path: ["http_code"], message: "is required for http/https" });
        }
      }),
    ),
);

/**
 * Health-driven replacement (APIG only): a member reported `unhealthy` across `after_seconds` has its
 * instance moved to AS standby with a replacement, within a budget per scaling group that holds across
 * invocations (`max_in_standby`, `cooldown_seconds`). docs/configuration.md (binding fields, `replace_unhealthy`)
 * documents the ranges.
 */
export const ReplaceUnhealthySchema = lazy(() =>
  z.strictObject({
    after_seconds: z._default(int(60, 86400), 300),
    max_per_run: z._default(int(1, 10), 1),
    max_unhealthy_fraction: z._default(z.number().check(z.gte(0), z.lte(1)), 0.5),
    max_in_standby: z._default(int(1, 100), 1),
    cooldown_seconds: z._default(int(0, 86400), 600),
  }),
);

/** The name rule APIG applies to member groups: 3–64 chars starting with a letter. */
const MEMBER_GROUP_NAME = /^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9_\-.\u4e00-\u9fa5]{2,63}$/;
/** Huawei resource ids: hex or uuid-like tokens, never path characters. */
export const RESOURCE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

export const BindingSchema = lazy(() =>
  z.strictObject({
    scaling_group_id: z
      .string()
      .check(z.regex(RESOURCE_ID, "must be an AS group id (letters, digits, - and _)")),
    gateway: z._default(z.enum(["roma", "apig"]), "roma"),
    instance_id: z
      .string()
      .check(z.regex(RESOURCE_ID, "must be a gateway instance id (letters, digits, - and _)")),
    vpc_channel_id: z
      .string()
      .check(z.regex(RESOURCE_ID, "must be a VPC channel id (letters, digits, - and _)")),
    member_group_name: z
      .string()
      .check(
        z.regex(
          MEMBER_GROUP_NAME,
          "must be 3-64 characters starting with a letter (letters, digits, -, _, .)",
        ),
      ),
    weight: z._default(int(0, 10000), 1),
    slow_start_seconds: z._default(int(0, 3600), 0),
    port: z.optional(int(0, 65535)),
    standby: z._default(z.boolean(), false),
    drain_seconds: z._default(int(0, 3600), 30),
    healthy_timeout_seconds: z._default(int(0, 86400), 300),
    health_check: z.optional(HealthCheckSchema()),
    replace_unhealthy: z.optional(ReplaceUnhealthySchema()),
  }),
);

/** A rule one binding breaks, within itself or against an earlier one (indices into the list checked). */
export interface BindingConflict {
  index: number;
  /** The earlier binding it conflicts with; undefined for a rule within the binding itself. */
  other: number | undefined;
  /** The binding field that breaks the rule; undefined for a duplicate binding. */
  field: string | undefined;
  message: string;
}

/**
 * A binding as far as its fields are valid each on its own (defaults applied): the rules across
 * fields and bindings are checked on what is valid, so one pass finds every problem of a list.
 */
export interface CheckedBinding {
  values: Partial<Binding>;
  valid: ReadonlySet<string>;
}

/** Every field of the bindings schema. */
const ALL_FIELDS = lazy((): ReadonlySet<string> => new Set(Object.keys(BindingSchema().def.shape)));

/** A binding that parsed whole: every field valid. */
export const wholly = (b: Binding): CheckedBinding => ({ values: b, valid: ALL_FIELDS() });

/** Each field of a raw binding that is valid on its own; nothing of what is not an object. */
export function checkFields(raw: unknown): CheckedBinding {
  const values: Record<string, unknown> = {};
  const valid = new Set<string>();
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return { values, valid };
  for (const [field, schema] of Object.entries(BindingSchema().def.shape)) {
    const parsed = schema.safeParse((raw as Record<string, unknown>)[field]);
    if (!parsed.success) continue;
    valid.add(field);
    if (parsed.data !== undefined) values[field] = parsed.data;
  }
  return { values: values as Partial<Binding>, valid };
}

/** The fields that name a binding: its scaling group, channel and member group. */
export const IDENTITY_FIELDS = [
  "scaling_group_id",
  "gateway",
  "instance_id",
  "vpc_channel_id",
  "member_group_name",
] as const;

/** The binding's identity fields when every one is valid: what its channel and target are known by. */
function identityOf(b: CheckedBinding): BindingRef | undefined {
  return IDENTITY_FIELDS.every((f) => b.valid.has(f)) ? (b.values as BindingRef) : undefined;
}

/** The member settings that every binding of one channel member group must agree on. */
export const SHARED_TARGET_FIELDS = [
  "weight",
  "slow_start_seconds",
  "port",
  "standby",
  "drain_seconds",
  "healthy_timeout_seconds",
  "replace_unhealthy",
] as const;

type SharedField = (typeof SHARED_TARGET_FIELDS)[number];

/** The shared member settings, valid in both, in which two bindings of one channel member group differ. */
function differences(a: CheckedBinding, b: CheckedBinding): SharedField[] {
  return SHARED_TARGET_FIELDS.filter(
    (f) => a.valid.has(f) && b.valid.has(f) && JSON.stringify(a.values[f]) !== JSON.stringify(b.values[f]),
  );
}

/** The shared member settings in which two bindings of one channel member group differ. */
export function sharedTargetDifferences(a: Binding, b: Binding): SharedField[] {
  return differences(wholly(a), wholly(b));
}

/** The rules within one binding that its fields' own checks cannot see. */
function ruleWithin(b: CheckedBinding, index: number): BindingConflict[] {
  const { values, valid } = b;
  if (!valid.has("gateway") || !valid.has("replace_unhealthy") || values.replace_unhealthy === undefined)
    return [];
  if (values.gateway === "apig") return [];
  return [
    {
      index,
      other: undefined,
      field: "replace_unhealthy",
      message:
        'is only supported on "apig" bindings: ROMA Connect reports no member health_status, so an unhealthy member cannot be told from a healthy one',
    },
  ];
}

/**
 * The rules that hold within and across bindings: replace_unhealthy only on apig; one binding per
 * scaling group and channel member group; bindings that share a channel member group agree on its
 * member settings (they are reconciled as one, or each run would flip the members between two
 * settings); and on the channel's health check, which belongs to the whole channel. Checked on the
 * fields that are valid, so a list with other mistakes still shows these. Used for BINDINGS and for
 * the set merged with tag bindings.
 */
export function bindingConflicts(bindings: readonly CheckedBinding[]): BindingConflict[] {
  const conflicts: BindingConflict[] = [];
  const seen = new Map<string, number>();
  const byTarget = new Map<string, number>();
  const byChannel = new Map<string, number>();
  bindings.forEach((b, i) => {
    conflicts.push(...ruleWithin(b, i));
    const id = identityOf(b);
    if (id === undefined) return;
    const channel = channelKey(id);
    const target = targetKey(id);
    const key = bindingLabel(id);
    const first = seen.get(key);
    if (first !== undefined) {
      conflicts.push({
        index: i,
        other: first,
        field: undefined,
        message: `duplicates binding ${first} (same scaling group, channel and member group)`,
      });
    } else seen.set(key, i);
    const sameTarget = byTarget.get(target);
    if (sameTarget === undefined) byTarget.set(target, i);
    else {
      for (const field of differences(bindings[sameTarget]!, b)) {
        conflicts.push({
          index: i,
          other: sameTarget,
          field,
          message: `differs from binding ${sameTarget}, which names the same channel member group`,
        });
      }
    }
    if (!b.valid.has("health_check") || !b.values.health_check) return;
    const sameChannel = byChannel.get(channel);
    if (sameChannel === undefined) byChannel.set(channel, i);
    else if (
      JSON.stringify(bindings[sameChannel]!.values.health_check) !== JSON.stringify(b.values.health_check)
    ) {
      conflicts.push({
        index: i,
        other: sameChannel,
        field: "health_check",
        message: `differs from binding ${sameChannel}, which sets the health check of the same channel`,
      });
    }
  });
  return conflicts;
}

/** bindingConflicts of bindings that parsed whole. */
export const crossBindingConflicts = (bindings: readonly Binding[]): BindingConflict[] =>
  bindingConflicts(bindings.map(wholly));

export const BindingsSchema = lazy(() =>
  z.array(BindingSchema()).check(
    z.minLength(1, "must list at least one binding"),
    z.superRefine((bindings, ctx) => {
      for (const c of crossBindingConflicts(bindings)) {
        ctx.addIssue({
          code: "custom",
          path: c.field === undefined ? [c.index] : [c.index, c.field],
          message: c.message,
        });
      }
    }),
  ),
);

export type Binding = z.infer<ReturnType<typeof BindingSchema>>;
export type BindingInput = z.input<ReturnType<typeof BindingSchema>>;
export type HealthCheck = z.infer<ReturnType<typeof HealthCheckSchema>>;
export type ReplaceUnhealthy = z.infer<ReturnType<typeof ReplaceUnhealthySchema>>;

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
