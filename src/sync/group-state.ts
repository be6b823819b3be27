import type { AutoScalingClient, GroupInstance, HangingHook } from "../cloud/autoscaling";

/** One read of a scaling group: its instances and the lifecycle hooks holding some of them. */
export interface GroupState {
  instances: GroupInstance[];
  hooks: HangingHook[];
}

interface Read {
  ticket: number;
  promise: Promise<GroupState>;
  settled?: GroupState | undefined;
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

  read(groupId: string, listedAt: number): Promise<GroupState> {
    const cached = this.latest.get(groupId);
    if (cached && cached.ticket > listedAt) return cached.promise;
    const read: Read = {
      ticket: this.counter++,
      promise: (async () => {
        const instances = await this.autoscaling.listGroupInstances(groupId);
        const hooks = await this.autoscaling.listHangingHooks(groupId);
        return { instances, hooks };
      })(),
    };
    read.promise.then(
      (state) => {
        read.settled = state;
      },
      () => undefined,
    );
    this.latest.set(groupId, read);
    return read.promise;
  }

  /** The newest successful read of each group, for the lifecycle-hook decisions at the end of a run. */
  async settled(): Promise<Map<string, GroupState | undefined>> {
    const out = new Map<string, GroupState | undefined>();
    for (const [id, read] of this.latest) {
      out.set(id, await read.promise.catch(() => undefined));
    }
    return out;
  }
}
