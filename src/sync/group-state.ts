import type { AutoScalingClient, GroupInstance, HangingHook } from "../cloud/autoscaling";
import { heldByHook } from "../plan/decide-hook";

/** One read of a scaling group: its instances and the lifecycle hooks holding some of them. */
export interface GroupState {
  instances: GroupInstance[];
  hooks: HangingHook[];
  /** Records of the instance listing without an id (InstanceListing): no member can be proven stray. */
  unidentified: number;
}

/**
 * A read in flight. `firstPage` settles with the first page of instances (a short group's whole list),
 * before the rest, so that a channel can start a read of its own that the instances already prove it
 * needs.
 */
export interface GroupRead {
  firstPage: Promise<readonly GroupInstance[]>;
  state: Promise<GroupState>;
}

interface Read extends GroupRead {
  ticket: number;
}

/**
 * Reads scaling groups for the channels of one run. A channel must see its group as it was *after*
 * it listed its own members (then a member another invocation just added can only look stray once its
 * instance has left the group). So a read is shared between channels only when it started after the
 * asking channel's member listing; tickets from one counter order the two exactly.
 *
 * The hanging hooks are listed only where one can be found: as soon as a page of instances shows one in
 * a hook's wait state (PENDING_WAIT, REMOVING_WAIT), beside the pages still to come; or at once, beside
 * the first page, when the event is a lifecycle-hook message (`hooksAtOnce`), so that the hook it names
 * waits for no page. A hook on an instance the listing shows in any other state would not be completed
 * anyway (decideHook), so a group without a waiting instance costs no hook listing.
 */
export class GroupStateReader {
  private counter = 0;
  private readonly latest = new Map<string, Read>();

  constructor(
    private readonly autoscaling: AutoScalingClient,
    private readonly hooksAtOnce = false,
  ) {}

  /** A ticket taken when a channel's member listing is complete. */
  mark(): number {
    return this.counter++;
  }

  read(groupId: string, listedAt: number): GroupRead {
    const cached = this.latest.get(groupId);
    if (cached && cached.ticket > listedAt) return cached;
    let hooks: Promise<HangingHook[]> | undefined;
    const listHooks = () => {
      if (hooks !== undefined) return;
      hooks = this.autoscaling.listHangingHooks(groupId);
      // A failure reaches whoever awaits the state; this only keeps it from being reported as unhandled.
      hooks.catch(() => undefined);
    };
    if (this.hooksAtOnce) listHooks();
    let firstPageArrived: ((page: readonly GroupInstance[]) => void) | undefined;
    const firstPage = new Promise<readonly GroupInstance[]>((resolve) => {
      firstPageArrived = resolve;
    });
    const instances = this.autoscaling.readGroupInstances(groupId, (fresh) => {
      firstPageArrived?.(fresh);
      firstPageArrived = undefined;
      if (fresh.some(heldByHook)) listHooks();
    });
    const read: Read = {
      ticket: this.counter++,
      // A listing that fails before its first page settles it with the failure.
      firstPage: Promise.race([firstPage, instances.then((l) => l.instances)]),
      state: instances.then(async ({ instances, unidentified }) => ({
        instances,
        unidentified,
        hooks: hooks === undefined ? [] : await hooks,
      })),
    };
    // Failures reach whoever awaits the read; these only keep them from being reported as unhandled.
    read.firstPage.catch(() => undefined);
    read.state.catch(() => undefined);
    this.latest.set(groupId, read);
    return read;
  }

  /** The newest successful read of each group, for the lifecycle-hook decisions at the end of a run. */
  async settled(): Promise<Map<string, GroupState | undefined>> {
    const out = new Map<string, GroupState | undefined>();
    for (const [id, read] of this.latest) {
      out.set(id, await read.state.catch(() => undefined));
    }
    return out;
  }
}
