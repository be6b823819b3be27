import type { Binding } from "../config/schema";
import type { DeadLetterRecord } from "../reliability/dead-letter";
import type { Summary } from "../runtime/invoke";
import { channelKey } from "../sync/targets";
import type { PlanAction, PlanEntry } from "../sync/types";
import { hintFor } from "./hints";

/** What the run-summary log lines of one CLI command add up to. */
export interface RunTotals {
  invocations: number;
  calls: Record<string, number>;
  writes: number;
  retries: number;
  throttles: number;
  members_changed: number;
  duration_ms: number;
}

export interface RunView {
  bindings: readonly Binding[];
  summary: Summary;
  deadLetters: readonly DeadLetterRecord[];
  totals?: RunTotals;
}

/** Words an operator reads for each plan action. */
const LABEL: Partial<Record<PlanAction, string>> = {
  update_channel: "update channel",
  add: "add",
  update: "update",
  enable: "re-enable",
  disable: "drain",
  delete: "remove",
  complete_hook: "complete hook",
  wait_hook: "wait hook",
  quarantine: "quarantine",
};

/** Pads every column but the last to its widest cell. */
export function formatTable(rows: readonly (readonly string[])[], indent = "  "): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map(
      (row) =>
        indent + row.map((cell, i) => (i < row.length - 1 ? cell.padEnd(widths[i]!) : cell)).join("  "),
    )
    .map((line) => line.trimEnd())
    .join("\n");
}

interface Section {
  key: string;
  channel: string;
  memberGroup: string;
  groups: string[];
  drainSeconds: number;
  entries: PlanEntry[];
}

/** One section per channel member group (bindings that share one are reconciled together). */
function sections(bindings: readonly Binding[], plan: readonly PlanEntry[]): Section[] {
  const byKey = new Map<string, Section>();
  for (const b of bindings) {
    const channel = channelKey(b);
    const key = `${channel}/${b.member_group_name}`;
    const s = byKey.get(key) ?? {
      key,
      channel,
      memberGroup: b.member_group_name,
      groups: [],
      drainSeconds: b.drain_seconds,
      entries: [],
    };
    if (!s.groups.includes(b.scaling_group_id)) s.groups.push(b.scaling_group_id);
    byKey.set(key, s);
  }
  const all = [...byKey.values()];
  const seenChannelUpdate = new Set<string>();
  for (const e of plan) {
    if (e.action === "update_channel") {
      // A channel-level step: shown once, in the first section of its channel.
      const s = all.find((x) => x.channel === e.channel);
      if (s && !seenChannelUpdate.has(e.channel)) {
        seenChannelUpdate.add(e.channel);
        s.entries.push(e);
      }
      continue;
    }
    if (e.action === "complete_hook" || e.action === "wait_hook") {
      // A hook belongs to its scaling group; it is listed under each section of that group it waited on.
      const channels = e.channel.split(",");
      for (const s of all) {
        if (s.groups.includes(e.scaling_group_id ?? "") && channels.includes(s.channel)) s.entries.push(e);
      }
      continue;
    }
    byKey.get(`${e.channel}/${e.member_group_name}`)?.entries.push(e);
  }
  return all;
}

function detailOf(e: PlanEntry, s: Section): string {
  switch (e.action) {
    case "update":
      return e.changes?.length ? `change ${e.changes.join(", ")}` : "";
    case "disable":
      return `disable, wait drain_seconds (${s.drainSeconds} s)`;
    case "delete":
      return "delete after drain";
    case "complete_hook":
      return `${e.result}: ${e.reason ?? ""}`;
    default:
      return e.reason ?? "";
  }
}

/** The readable plan: a table per binding of what to add, update, drain, remove and which hooks to complete. */
export function renderPlanTable(bindings: readonly Binding[], summary: Summary): string {
  const out: string[] = [];
  const withStatus = !summary.dry_run;
  for (const s of sections(bindings, summary.plan)) {
    out.push(`${s.groups.join(" + ")} → ${s.channel}, member group ${s.memberGroup}`);
    if (s.entries.length === 0) {
      out.push("  no changes", "");
      continue;
    }
    const head = ["ACTION", "INSTANCE", "MEMBER", "DETAIL", ...(withStatus ? ["STATUS"] : [])];
    const rows = s.entries.map((e) => [
      LABEL[e.action] ?? e.action,
      e.instance_id ?? "-",
      e.member_id ?? "-",
      detailOf(e, s) || "-",
      ...(withStatus ? [e.status] : []),
    ]);
    out.push(formatTable([head, ...rows]), "");
  }
  return out.join("\n");
}

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line of totals for the whole run. */
export function renderTotals(summary: Summary): string {
  const p = summary.plan;
  const n = (a: PlanAction) => p.filter((e) => e.action === a).length;
  if (summary.dry_run) {
    const parts = [
      `${n("add")} to add`,
      `${n("update") + n("enable")} to update`,
      `${n("disable")} to drain`,
      `${n("delete")} to remove`,
      `${count(n("complete_hook"), "hook")} to complete`,
    ];
    if (n("wait_hook") > 0) parts.push(`${count(n("wait_hook"), "hook")} still waiting`);
    if (n("update_channel") > 0) parts.push(`${count(n("update_channel"), "channel")} to update`);
    if (n("quarantine") > 0) parts.push(`${count(n("quarantine"), "instance")} to quarantine`);
    return `Plan: ${parts.join(", ")}; ${summary.unchanged} unchanged (${count(summary.bindings, "binding")}, nothing written)`;
  }
  const failed = p.filter((e) => e.status === "failed").length;
  return (
    `Done: ${summary.added} added, ${summary.updated} updated, ${summary.disabled} drained, ` +
    `${summary.removed} removed, ${count(summary.hooks_completed, "hook")} completed; ` +
    `${summary.unchanged} unchanged (${count(summary.bindings, "binding")})` +
    (summary.quarantined > 0 ? `; ${count(summary.quarantined, "instance")} quarantined` : "") +
    (failed > 0 ? `; ${count(failed, "action")} failed` : "")
  );
}

/** What could not be done, with the error and what to do about it. */
export function renderDeadLetters(records: readonly DeadLetterRecord[]): string {
  if (records.length === 0) return "";
  const out = [`Dead letters (${records.length}): not done; fix the cause, then replay them`];
  for (const r of records) {
    const where = r.binding
      ? `${r.binding.scaling_group_id} → ${r.binding.instance_id}/${r.binding.vpc_channel_id}, member group ${r.binding.member_group_name}`
      : "(no binding)";
    const status = r.error.status === null ? "" : ` HTTP ${r.error.status}`;
    out.push(`  ${r.action}  ${where}`);
    if (r.instance_ids.length > 0) out.push(`    instances: ${r.instance_ids.join(", ")}`);
    out.push(`    error: ${r.error.code}${status}: ${r.error.message}`);
    const hint = hintFor(r.error.code);
    if (hint) out.push(`    fix: ${hint}`);
    out.push(`    replay: ${JSON.stringify(r.replay)}`);
  }
  return out.join("\n");
}

/** Calls per service, retries, throttles and time: the CLI's view of the run-summary log lines. */
export function renderTotalsLine(t: RunTotals): string {
  const calls =
    Object.entries(t.calls)
      .map(([service, n]) => `${service} ${n}`)
      .join(", ") || "none";
  return (
    `Calls: ${calls} (${t.writes} writes); retries ${t.retries}, throttles ${t.throttles}; ` +
    `${count(t.members_changed, "member")} changed; ${(t.duration_ms / 1000).toFixed(1)} s` +
    (t.invocations > 1 ? ` over ${t.invocations} runs` : "")
  );
}

/** The whole human report of a plan or sync. */
export function renderRun(view: RunView): string {
  const parts = [renderPlanTable(view.bindings, view.summary), renderTotals(view.summary)];
  const dl = renderDeadLetters(view.deadLetters);
  if (dl) parts.push("", dl);
  if (view.totals) parts.push("", renderTotalsLine(view.totals));
  return `${parts.join("\n")}\n`;
}
