import type { Member } from "../cloud/gateway";

/** The members a run planned to delete, sorted by what a listing made after the drain shows. */
export interface DeletesStillDue {
  /** Still listed and still disabled: deleted now. */
  due: Member[];
  /** Listed and enabled again since this run disabled them: another invocation wants them. */
  reenabled: Member[];
  /** No longer listed: someone else deleted them. */
  gone: Member[];
}

/**
 * Which of the planned deletes still stand, on a listing of the member group made after the drain.
 * Pure. The plan came from this run's reads, `drain_seconds` old by now: a member that another
 * invocation enabled again meanwhile (its instance serving again in a newer AS read) must stay, and is
 * left to the next run to judge on fresh reads; a member re-added meanwhile has a new id and was never
 * planned. Only a member still listed with `status` 2 (disabled) is deleted.
 */
export function deletesStillDue(planned: readonly Member[], listed: readonly Member[]): DeletesStillDue {
  const now = new Map(listed.map((m) => [m.id, m]));
  const out: DeletesStillDue = { due: [], reenabled: [], gone: [] };
  for (const m of planned) {
    const current = now.get(m.id);
    if (current === undefined) out.gone.push(m);
    else if (current.status === 2) out.due.push(m);
    else out.reenabled.push(m);
  }
  return out;
}
