import { createRequire } from "node:module";
import type { CallLogEntry, StateInput } from "../test/emulator";
import {
  type Binding,
  captureOutput,
  envFor,
  fakeContext,
  HEALTH_CHECK,
  instance,
  romaGateway,
  type Summary,
  smnEvent,
  startEmulator,
  timerEvent,
} from "../test/support/harness";

/** The sizes the APIs page at and the function chunks writes at (src/cloud/*, src/sync/reconcile.ts). */
export const AS_PAGE = 100;
export const MEMBER_PAGE = 500;
export const ADD_CHUNK = 100;

export interface CallCount {
  scenario: string;
  asPages: number;
  memberPages: number;
  hookLists: number;
  channelReads: number;
  otherReads: number;
  posts: number;
  otherWrites: number;
  /** The least a correct run can do (docs/reads.md): the run is held to exactly this. */
  minReads: number;
  minWrites: number;
  /** The reads the minimum is made of, for the table. */
  minReadsText: string;
}

export const reads = (c: CallCount) =>
  c.asPages + c.memberPages + c.hookLists + c.channelReads + c.otherReads;
export const writes = (c: CallCount) => c.posts + c.otherWrites;

const ceil = (n: number, size: number) => Math.ceil(n / size);

function classify(calls: CallLogEntry[]) {
  const count = {
    asPages: 0,
    memberPages: 0,
    hookLists: 0,
    channelReads: 0,
    otherReads: 0,
    posts: 0,
    otherWrites: 0,
  };
  for (const c of calls) {
    if (c.method === "GET") {
      if (c.path.includes("/scaling_group_instance/")) count.asPages += 1;
      else if (c.path.includes("/scaling_instance_hook/")) count.hookLists += 1;
      else if (c.path.endsWith("/members")) count.memberPages += 1;
      else if (/\/vpc-channels\/[^/]+$/.test(c.path)) count.channelReads += 1;
      else count.otherReads += 1;
    } else if (c.method === "POST" && c.path.endsWith("/members")) count.posts += 1;
    else count.otherWrites += 1;
  }
  return count;
}

const GROUP = "asg-1";
const binding: Binding = {
  scaling_group_id: GROUP,
  instance_id: "roma-1",
  vpc_channel_id: "chan-1",
  member_group_name: "web",
  drain_seconds: 0,
};

function state(instances: number): StateInput {
  return {
    gateways: romaGateway([], ["web"]),
    scaling_groups: [
      {
        scaling_group_id: GROUP,
        instances: Array.from({ length: instances }, (_, i) => instance(`i-${String(i).padStart(5, "0")}`)),
      },
    ],
  } as StateInput;
}

/**
 * Calls per scenario, counted by the emulator, for runs of the built bundles (in this process: only the
 * calls matter here, not time). Each scale-out is followed by the converged run it leaves behind.
 */
export async function measureApiCalls(bundles: {
  "scaling-events": string;
  reconcile: string;
}): Promise<CallCount[]> {
  const emu = await startEmulator({ memberQuota: 5_000 });
  const require = createRequire(import.meta.url);
  const run = async (
    file: string,
    event: unknown,
    bindings: Binding[],
    extraEnv: Record<string, string> = {},
  ): Promise<Summary> => {
    const { handler } = require(file) as {
      handler: (event: unknown, context: unknown) => Promise<Summary>;
    };
    emu.control.clearCalls();
    const { result, error } = await captureOutput(() =>
      handler(event, fakeContext({ env: envFor(emu, bindings, extraEnv), remainingMs: 120_000 })),
    );
    if (error || !result) throw new Error(`${file}: ${String(error)}`);
    return result;
  };
  const counted = (
    scenario: string,
    min: { reads: number; writes: number; readsText: string },
  ): CallCount => ({
    scenario,
    ...classify(emu.control.calls()),
    minReads: min.reads,
    minWrites: min.writes,
    minReadsText: min.readsText,
  });
  const convergedMin = (n: number) => ({
    reads: ceil(n, AS_PAGE) + ceil(n, MEMBER_PAGE),
    writes: 0,
    readsText: `${ceil(n, AS_PAGE)} AS + ${ceil(n, MEMBER_PAGE)} member`,
  });
  const withChannelRead = (min: { reads: number; writes: number; readsText: string }) => ({
    ...min,
    reads: min.reads + 1,
    readsText: `${min.readsText} + 1 channel`,
  });
  const scaleOutMin = (k: number) => ({
    // Into an existing, empty member group: nothing to learn that the add's answer does not say.
    reads: ceil(k, AS_PAGE) + 1,
    writes: ceil(k, ADD_CHUNK),
    readsText: `${ceil(k, AS_PAGE)} AS + 1 member`,
  });
  // Into a group the channel lacks: the refused add, the channel read it asks for, the group's creation.
  const newGroupMin = (k: number) => ({
    reads: ceil(k, AS_PAGE) + 1 + 1,
    writes: ceil(k, ADD_CHUNK) + 2,
    readsText: `${ceil(k, AS_PAGE)} AS + 1 member + 1 channel`,
  });

  const rows: CallCount[] = [];
  try {
    for (const n of [5, 250, 1_000]) {
      emu.control.reset();
      emu.control.load(state(n));
      const out = await run(
        bundles["scaling-events"],
        smnEvent(JSON.stringify({ scaling_group_id: GROUP })),
        [binding],
      );
      if (out.added !== n) throw new Error(`scale-out of ${n} added ${out.added}`);
      rows.push(
        counted(`scale-out of ${n.toLocaleString("en")} into an existing empty group`, scaleOutMin(n)),
      );
      await run(bundles.reconcile, timerEvent(), [binding]);
      rows.push(
        counted(
          `converged binding: ${n.toLocaleString("en")} instances, ${n.toLocaleString("en")} members`,
          convergedMin(n),
        ),
      );
    }
    emu.control.reset();
    emu.control.load(state(250));
    const fresh = [{ ...binding, member_group_name: "blue" }];
    await run(bundles["scaling-events"], smnEvent(JSON.stringify({ scaling_group_id: GROUP })), fresh);
    rows.push(counted("scale-out of 250 into a member group the channel lacks", newGroupMin(250)));
    // Channel setup configured (health_check): the first run sets it. By default
    // (HEALTH_CHECK_RECHECK_MS 0) every later run reads the channel once to compare the check; with a
    // recheck period, a converged run within it of this warm instance's comparison reads no channel.
    emu.control.reset();
    emu.control.load(state(250));
    const withSetup = [{ ...binding, health_check: HEALTH_CHECK }];
    await run(bundles.reconcile, timerEvent(), withSetup);
    await run(bundles.reconcile, timerEvent(), withSetup);
    rows.push(counted("converged: 250 / 250, health_check set", withChannelRead(convergedMin(250))));
    const recheck = { HEALTH_CHECK_RECHECK_MS: "600000" };
    await run(bundles.reconcile, timerEvent(), withSetup, recheck);
    await run(bundles.reconcile, timerEvent(), withSetup, recheck);
    rows.push(
      counted("converged: 250 / 250, health_check set, HEALTH_CHECK_RECHECK_MS 600000", convergedMin(250)),
    );
  } finally {
    await emu.close();
  }
  return rows;
}
