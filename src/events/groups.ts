/**
 * Which of the scaling groups an event names have a binding. The one place that decides it: every
 * reader of events (SMN selection, backfill ids) and the run's check of the groups it was asked for
 * (runtime/bindings.ts) ask here, so bindings from another source change this function and nothing else.
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
