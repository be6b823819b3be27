import type { Binding } from "../config/schema";
import type { BindingSource } from "../discovery/merge";
import { plannedCounts } from "../plan/counts";
import { channelKey, isRecordedAs, targetKey, targetKeyIn } from "../plan/identity";
import type { PlanEntry } from "../plan/types";
import type { DeadLetterRecord } from "../reliability/dead-letter";
import { deadLetterHint } from "../reliability/dead-letter-codes";
import type { RunFigures, Summary } from "../runtime/invoke";

/** What a command reports of its runs' figures, added up, and how many runs there were. */
export type Totals = Pick<
  RunFigures,
  "calls" | "writes" | "retries" | "throttles" | "members_changed" | "duration_ms"
> & { invocations: number };

export interface RunView {
  bindings: readonly Binding[];
  /** With BINDINGS_FROM_TAGS: where each scaling group's binding came from, shown next to it. */
  sources?: ReadonlyMap<string, BindingSource>;
  summary: Summary;
  deadLetters: readonly DeadLetterRecord[];
  totals?: Totals;
}

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
  /** The bindings the section stands for. */
  bindings: Binding[];
  drainSeconds: number;
  entries: PlanEntry[];
  /** Why the section's state could not be read: its targets were skipped, so no plan is "no changes". */
  notRead: DeadLetterRecord[];
}

/** Dead-letter actions that mean a binding's state was never read, so nothing was planned for it. */
const READ_ACTIONS: ReadonlySet<string> = new Set(["read_members", "read_instances", "read_channel"]);

/** A read failure of one of the section's bindings. */
function readFailureOf(s: Section, r: DeadLetterRecord): boolean {
  const recorded = r.binding;
  return READ_ACTIONS.has(r.action) && recorded !== null && s.bindings.some((b) => isRecordedAs(b, recorded));
}

/** One section per channel member group (bindings that share one are reconciled together). */
function sections(
  bindings: readonly Binding[],
  plan: readonly PlanEntry[],
  deadLetters: readonly DeadLetterRecord[],
): Section[] {
  const byKey = new Map<string, Section>();
  for (const b of bindings) {
    const key = targetKey(b);
    const s = byKey.get(key) ?? {
      key,
      channel: channelKey(b),
      memberGroup: b.member_group_name,
      groups: [],
      bindings: [],
      drainSeconds: b.drain_seconds,
      entries: [],
      notRead: [],
    };
    if (!s.groups.includes(b.scaling_group_id)) s.groups.push(b.scaling_group_id);
    s.bindings.push(b);
    byKey.set(key, s);
  }
  const all = [...byKey.values()];
  for (const s of all) s.notRead = deadLetters.filter((r) => readFailureOf(s, r));
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
    byKey.get(targetKeyIn(e.channel, e.member_group_name))?.entries.push(e);
  }
  return all;
}

const shown = (v: string | number | boolean | null | undefined) =>
  v === null || v === undefined ? "(unset)" : typeof v === "string" ? JSON.stringify(v) : String(v);

/** `weight 1 → 10, is_backup false → true`; the field names alone when the values are not known. */
function changeDetail(e: PlanEntry): string {
  const { changes = [], from, to } = e;
  if (!from || !to) return `change ${changes.join(", ")}`;
  return changes.map((f) => `${f} ${shown(from[f])} → ${shown(to[f])}`).join(", ");
}

/** `(slow start, 40%)`: the step of the window a slow-start weight belongs to. */
const slowStartNote = (e: PlanEntry) => `(slow start, ${e.slow_start_percent ?? 0}%)`;

function detailOf(e: PlanEntry, s: Section): string {
  switch (e.action) {
    case "add":
      return e.reason === "slow_start" && e.to ? `weight ${shown(e.to.weight)} ${slowStartNote(e)}` : "";
    case "ramp":
      return `${changeDetail(e)} ${slowStartNote(e)}`;
    case "update":
      return e.changes?.length ? changeDetail(e) : "";
    case "disable":
      return `then wait drain_seconds (${s.drainSeconds} s)`;
    case "delete":
      return "after the drain";
    case "complete_hook":
      return `${e.result}: ${e.reason ?? ""}`;
    default:
      return e.reason ?? "";
  }
}

/** `not read: <code>: <message>` and what to do, once per distinct error of the section. */
function notReadLines(s: Section): string[] {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const r of s.notRead) {
    const line = `  not read: ${r.error.code}: ${r.error.message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    lines.push(line);
    const hint = deadLetterHint(r.error);
    if (hint) lines.push(`  fix: ${hint}`);
  }
  return lines;
}

/**
 * The bindings that were not read (every binding of a section: a shared member group is read as one),
 * and the dead letters that say why.
 */
export function notReadOf(
  bindings: readonly Binding[],
  deadLetters: readonly DeadLetterRecord[],
): { bindings: number; records: Set<DeadLetterRecord> } {
  const unread = sections(bindings, [], deadLetters).filter((s) => s.notRead.length > 0);
  return {
    bindings: unread.reduce((n, s) => n + s.bindings.length, 0),
    records: new Set(unread.flatMap((s) => s.notRead)),
  };
}

/**
 * The readable plan: a table per binding of what to add, update, disable, delete and which hooks to
 * complete. A binding whose state could not be read says so (with the dead letters' error and fix)
 * instead of "no changes".
 */
export function renderPlanTable(
  bindings: readonly Binding[],
  summary: Summary,
  deadLetters: readonly DeadLetterRecord[] = [],
  sources?: ReadonlyMap<string, BindingSource>,
): string {
  const out: string[] = [];
  const withStatus = !summary.dry_run;
  const named = (id: string) => (sources ? `${id} [${sources.get(id) ?? "bindings"}]` : id);
  for (const s of sections(bindings, summary.plan, deadLetters)) {
    out.push(`${s.groups.map(named).join(" + ")} → channel ${s.channel}, member group ${s.memberGroup}`);
    out.push(...notReadLines(s));
    if (s.entries.length === 0) {
      if (s.notRead.length === 0) out.push("  no changes");
      out.push("");
      continue;
    }
    // The actions and ids in --json's words: `instance_id` of a plan entry is the ECS instance.
    const head = ["ACTION", "ECS INSTANCE", "MEMBER", "DETAIL", ...(withStatus ? ["STATUS"] : [])];
    const rows = s.entries.map((e) => [
      e.action,
      e.instance_id ?? "-",
      e.member_id ?? "-",
      detailOf(e, s) || "-",
      ...(withStatus ? [e.status] : []),
    ]);
    out.push(formatTable([head, ...rows]), "");
  }
  return out.join("\n");
}

export const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** One line of totals for the whole run; `notRead` bindings could not be read, so nothing was planned for them. */
export function renderTotals(summary: Summary, notRead = 0): string {
  const unchanged = `${summary.unchanged} unchanged${notRead > 0 ? `, ${count(notRead, "binding")} not read` : ""}`;
  if (summary.dry_run) {
    const n = plannedCounts(summary.plan);
    const parts = [
      `${n.added} to add`,
      `${n.updated} to update`,
      `${n.disabled} to disable`,
      `${n.removed} to remove`,
      `${count(n.hooks_completed, "hook")} to complete`,
    ];
    if (n.ramping > 0) parts.push(`${n.ramping} to ramp`);
    if (n.hooks_waiting > 0) parts.push(`${count(n.hooks_waiting, "hook")} still waiting`);
    if (n.channels_updated > 0) parts.push(`${count(n.channels_updated, "channel")} to update`);
    if (n.quarantined > 0) parts.push(`${count(n.quarantined, "instance")} to quarantine`);
    return `Plan: ${parts.join(", ")}; ${unchanged} (${count(summary.bindings, "binding")}, nothing written)`;
  }
  const failed = summary.plan.filter((e) => e.status === "failed").length;
  return (
    `Done: ${summary.added} added, ${summary.updated} updated, ` +
    (summary.ramping > 0 ? `${summary.ramping} ramping, ` : "") +
    `${summary.disabled} disabled, ` +
    `${summary.removed} removed, ${count(summary.hooks_completed, "hook")} completed; ` +
    `${unchanged} (${count(summary.bindings, "binding")})` +
    (summary.quarantined > 0 ? `; ${count(summary.quarantined, "instance")} quarantined` : "") +
    (failed > 0 ? `; ${count(failed, "action")} failed` : "")
  );
}

/** What could not be done, with the error and what to do about it. */
export function renderDeadLetters(
  records: readonly DeadLetterRecord[],
  header = "not done; fix the cause, then replay them",
): string {
  if (records.length === 0) return "";
  const out = [`Dead letters (${records.length}): ${header}`];
  for (const r of records) {
    const where = r.binding
      ? `${r.binding.scaling_group_id} → gateway instance ${r.binding.instance_id}, channel ${r.binding.vpc_channel_id}, member group ${r.binding.member_group_name}`
      : r.replay.scaling_group_ids
        ? `${r.replay.scaling_group_ids.join(", ")} (no binding)`
        : "(no binding)";
    const status = r.error.status === null ? "" : ` HTTP ${r.error.status}`;
    out.push(`  ${r.action}  ${where}`);
    if (r.instance_ids.length > 0) out.push(`    ECS instances: ${r.instance_ids.join(", ")}`);
    out.push(`    error: ${r.error.code}${status}: ${r.error.message}`);
    const hint = deadLetterHint(r.error);
    if (hint) out.push(`    fix: ${hint}`);
    out.push(`    replay: ${JSON.stringify(r.replay)}`);
  }
  return out.join("\n");
}

/** Calls per service, retries, throttles and time: the CLI's view of the run-summary log lines. */
export function renderTotalsLine(t: Totals): string {
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

/**
 * The whole human report of a plan or sync. A dry run's dead letters are reads that failed: each is
 * shown in its binding's section, and only the others are listed again; a run lists them all (they are
 * what a replay runs again).
 */
export function renderRun(view: RunView): string {
  const notRead = notReadOf(view.bindings, view.deadLetters);
  const parts = [
    renderPlanTable(view.bindings, view.summary, view.deadLetters, view.sources),
    renderTotals(view.summary, notRead.bindings),
  ];
  const listed = view.summary.dry_run
    ? view.deadLetters.filter((r) => !notRead.records.has(r))
    : view.deadLetters;
  const dl = renderDeadLetters(
    listed,
    view.summary.dry_run ? "could not be planned; fix the cause, then plan again" : undefined,
  );
  if (dl) parts.push("", dl);
  if (view.totals) parts.push("", renderTotalsLine(view.totals));
  return `${parts.join("\n")}\n`;
}
