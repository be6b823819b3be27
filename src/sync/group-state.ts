import type { AutoScalingClient, GroupInstance, HangingHook } from "../cloud/autoscaling";

/** One read of a scaling group: its instances and the lifecycle hooks holding some of them. */
export interface GroupState {
  instances: GroupInstance[];
  hooks: HangingHook[];
}

/**
 * A read in flight. Its instance pages and its hook list are read at the same time; `firstPage` settles
 * with the first page of instances (a short group's whole list), before the rest, so that a channel can
 * start a read of its own that the instances already prove it needs.
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
 */
export class GroupStateReader {
  private counter = 0;
  private readonly latest = new Map<string, Read>();

  constructor(private readonly autoscaling: AutoScalingClient) {}

  /** A ticket taken when a channel's member listing is complete. */
  mark(): number {
    return this.counter++;
  }

  read(groupId: string, listedAt: number): GroupRead {
    const cached = this.latest.get(groupId);
    if (cached && cached.ticket > listedAt) return cached;
    let firstPageArrived: (page: readonly GroupInstance[]) => void = () => undefined;
    const firstPage = new Promise<readonly GroupInstance[]>((resolve) => {
      firstPageArrived = resolve;
    });
    const instances = this.autoscaling.listGroupInstances(groupId, firstPageArrived);
    const hooks = this.autoscaling.listHangingHooks(groupId);
    const read: Read = {
      ticket: this.counter++,
      // A listing that fails before its first page settles it with the failure.
      firstPage: Promise.race([firstPage, instances]),
      state: Promise.all([instances, hooks]).then(([instances, hooks]) => ({ instances, hooks })),
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
