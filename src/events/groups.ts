/**
 * Which of the scaling groups an event names have a binding. The one place that decides it: every
 * reader of events (SMN selection, backfill ids) asks here, so a later source of bindings (AS group
 * tags, issue 12) changes this function and nothing else.
 */
export function partitionByBinding(
  named: readonly string[],
  boundGroupIds: readonly string[],
): { bound: string[]; unbound: string[] } {
  const known = new Set(boundGroupIds);
  const bound: string[] = [];
  const unbound: string[] = [];
  for (const id of new Set(named)) (known.has(id) ? bound : unbound).push(id);
  return { bound, unbound };
}
