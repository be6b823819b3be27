/**
 * Everyone but the function, between two rounds: time passing; AS scaling out and in (through lifecycle
 * hooks where the group has them), its health checks failing and recovering, hooks timing out (AS
 * applies the default result), replacement launches completing; the gateway's health checks reading new
 * members and flipping old ones; an operator adding members and member groups by hand, releasing
 * quarantined instances as the runbook says, putting an instance in standby of their own; the member
 * quota filling up for a while. Each change AS would announce becomes an SMN message for the rounds'
 * scaling-events invocations.
 */
import type { Emulator, EmulatorState, VpcMemberInfo } from "../emulator";
import type { ContractChecks } from "../faults/contract-checks";
import { IN_STANDBY, membersOf, QUARANTINED_AT_TAG, tagOf } from "../faults/world-spec";
import type { InProcess } from "../sync/support";
import {
  addressOf,
  CHANNELS,
  FOREIGN_GROUP,
  GATEWAY,
  GROUPS,
  type Group,
  HOOK_TIMEOUT_SECONDS,
  HOOKED,
  INITIAL,
  instanceId,
  instanceName,
  MAX_SIZE,
  TARGETS,
} from "./layout";
import type { Random } from "./random";

/** The soak's clock: the wall clock plus the time the soak has let pass (emulator and bundles share it). */
export class SoakClock {
  offsetMs = 0;
  readonly slackMs = 50;
  readonly now = (): number => Date.now() + this.offsetMs;
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface ActorFigures {
  hooksTimedOut: number;
  operatorChanges: number;
  healthFlips: number;
}

type Operator = InProcess["deps"];

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export class Actors {
  readonly figures: ActorFigures = { hooksTimedOut: 0, operatorChanges: 0, healthFlips: 0 };
  /** AS notifications so far, newest last: what scaling-events invocations are handed. */
  readonly messages: string[] = [];
  private readonly next: Record<Group, number> = { ...INITIAL };
  private opsGroups = 0;
  private opsMembers = 0;
  private tightRounds = 0;

  constructor(
    private readonly emu: Emulator,
    private readonly checks: ContractChecks,
    private readonly clock: SoakClock,
    /** The operator's clients, made afresh for each change: a client's deadline runs from its making. */
    private readonly operator: () => Operator,
  ) {}

  /** This pause's choices. */
  private random!: Random;

  private state = (): EmulatorState => this.emu.control.state();
  private instances = (g: Group) =>
    this.state().scaling_groups.find((s) => s.scaling_group_id === g)!.instances;
  private hanging = (g: Group) => this.state().scaling_groups.find((s) => s.scaling_group_id === g)!.hanging;

  /** One pause between rounds: time passes, the cloud's own processes run, then 0–3 changes. */
  async act(random: Random): Promise<void> {
    this.random = random;
    this.clock.advance(this.random.pick([0, 0, 5, 30, 70, 200, 400]) * 1000);
    this.timeOutHooks();
    this.gatewayChecks();
    this.asHealthSettles();
    // A replacement's launch ends within a round or two.
    if (this.random.chance(0.5)) this.emu.control.setScalingActivity("asg-1", false);
    this.quota();
    const changes = this.random.weighted([
      [0, 1],
      [1, 3],
      [2, 3],
      [3, 1],
    ] as const);
    for (let k = 0; k < changes; k++) {
      const change = this.random.weighted([
        ["out", 4],
        ["in", 3],
        ["as-error", 1],
        ["as-recover", 1],
        ["flip", 4],
        ["sick", 2],
        ["recover", 1],
        ["operator", 2],
      ] as const);
      await this.change(change);
    }
  }

  private async change(kind: string): Promise<void> {
    const g = this.random.weighted<Group>([
      ["asg-1", 3],
      ["asg-2", 1],
      ["asg-3", 1],
    ]);
    switch (kind) {
      case "out":
        return this.scaleOut(g);
      case "in":
        return this.scaleIn(g);
      case "as-error":
        return this.asError(g);
      case "as-recover":
        return this.asRecover(g);
      case "flip":
        return this.flip();
      case "sick":
        return this.sick();
      case "recover":
        return this.recover();
      case "operator":
        return this.operate();
    }
  }

  private announce(g: Group, instance: string | undefined, event: string): void {
    this.messages.push(
      JSON.stringify({ scaling_group_id: g, ...(instance ? { instance_id: instance } : {}), event }),
    );
  }

  private hook(g: Group, instance: string, name: "launch" | "terminate"): void {
    const entry = this.emu.control.addHangingHook({
      scaling_group_id: g,
      instance_id: instance,
      lifecycle_hook_name: name,
      timeout: isoSeconds(this.clock.now() + HOOK_TIMEOUT_SECONDS * 1000),
    });
    // AS's own lifecycle message: the ids nested, as AS sends them.
    this.messages.push(
      JSON.stringify({
        service: "AutoScaling",
        lifecycle_hook_type: name === "launch" ? "INSTANCE_LAUNCHING" : "INSTANCE_TERMINATING",
        lifecycle_hook_name: name,
        lifecycle_action_key: entry.lifecycle_action_key,
        scaling_instance: { instance_id: instance, instance_name: instanceName(instance) },
        scaling_group: { scaling_group_id: g },
      }),
    );
  }

  private scaleOut(g: Group): void {
    const serving = this.instances(g).filter((i) => i.life_cycle_state !== "STANDBY").length;
    if (serving >= MAX_SIZE[g]) return;
    const id = instanceId(g, this.next[g]++);
    const hooked = HOOKED.has(g);
    this.emu.control.setInstance({
      scaling_group_id: g,
      instance_id: id,
      instance_name: instanceName(id),
      life_cycle_state: hooked ? "PENDING_WAIT" : "INSERVICE",
      health_status: hooked ? "INITIALIZING" : "NORMAL",
      ipv4: addressOf(id),
    });
    if (hooked) this.hook(g, id, "launch");
    else this.announce(g, id, "scale-out");
  }

  private scaleIn(g: Group): void {
    const waiting = new Set(this.hanging(g).map((h) => h.instance_id));
    const candidates = this.instances(g).filter(
      (i) => i.life_cycle_state === "INSERVICE" && !waiting.has(i.instance_id),
    );
    if (candidates.length === 0) return;
    const victim = this.random.pick(candidates);
    if (HOOKED.has(g)) {
      this.emu.control.setInstance({
        scaling_group_id: g,
        instance_id: victim.instance_id,
        life_cycle_state: "REMOVING_WAIT",
      });
      this.hook(g, victim.instance_id, "terminate");
    } else {
      this.emu.control.removeInstance(g, victim.instance_id);
      this.announce(g, victim.instance_id, "scale-in");
    }
  }

  private asError(g: Group): void {
    const serving = this.instances(g).filter(
      (i) => ["INSERVICE", "PENDING_WAIT"].includes(i.life_cycle_state) && i.health_status !== "ERROR",
    );
    if (serving.length === 0) return;
    const victim = this.random.pick(serving);
    this.emu.control.setInstance({
      scaling_group_id: g,
      instance_id: victim.instance_id,
      health_status: "ERROR",
    });
    this.announce(g, victim.instance_id, "health error");
  }

  /** An instance AS found broken recovers, or AS takes it out (through the terminate hook, if any). */
  private asRecover(g: Group): void {
    const broken = this.instances(g).filter((i) => i.health_status === "ERROR");
    if (broken.length === 0) return;
    const one = this.random.pick(broken);
    const waiting = this.hanging(g).some((h) => h.instance_id === one.instance_id);
    if (this.random.chance(0.5)) {
      this.emu.control.setInstance({
        scaling_group_id: g,
        instance_id: one.instance_id,
        health_status: "NORMAL",
      });
      this.announce(g, one.instance_id, "health recovered");
    } else if (HOOKED.has(g) && one.life_cycle_state === "INSERVICE" && !waiting) {
      this.emu.control.setInstance({
        scaling_group_id: g,
        instance_id: one.instance_id,
        life_cycle_state: "REMOVING_WAIT",
      });
      this.hook(g, one.instance_id, "terminate");
    } else if (!HOOKED.has(g)) {
      this.emu.control.removeInstance(g, one.instance_id);
      this.announce(g, one.instance_id, "removed unhealthy instance");
    }
  }

  /** AS applies a hanging action's default result once its timeout has passed. */
  private timeOutHooks(): void {
    for (const g of GROUPS) {
      for (const h of this.hanging(g)) {
        if (Date.parse(h.timeout) > this.clock.now()) continue;
        this.emu.control.timeOutHook(g, h.lifecycle_action_key);
        this.figures.hooksTimedOut += 1;
        this.announce(g, h.instance_id, `lifecycle action timed out: ${h.default_result}`);
      }
    }
  }

  /** AS's health check passes for instances it was still checking. */
  private asHealthSettles(): void {
    for (const g of GROUPS) {
      for (const i of this.instances(g)) {
        if (
          i.life_cycle_state === "INSERVICE" &&
          i.health_status === "INITIALIZING" &&
          this.random.chance(0.5)
        )
          this.emu.control.setInstance({
            scaling_group_id: g,
            instance_id: i.instance_id,
            health_status: "NORMAL",
          });
      }
    }
  }

  private setHealth(channel: string, m: VpcMemberInfo, health: "healthy" | "unhealthy" | "unknown"): void {
    this.emu.control.setMemberHealth({
      instance_id: GATEWAY,
      vpc_channel_id: channel,
      member_id: m.id,
      health_status: health,
    });
    this.checks.healthChanged(m.id, health);
    this.figures.healthFlips += 1;
  }

  /** The gateway's health check reads members it had not checked yet. */
  private gatewayChecks(): void {
    const state = this.state();
    for (const t of TARGETS) {
      for (const m of membersOf(state, t)) {
        if (m.health_status !== "unknown") continue;
        const reading = this.random.weighted([
          ["healthy", 6],
          ["unhealthy", 1],
          ["unknown", 3],
        ] as const);
        if (reading !== "unknown") this.setHealth(t.channel, m, reading);
      }
    }
  }

  private ourMembers(): { channel: string; member: VpcMemberInfo }[] {
    const state = this.state();
    return TARGETS.flatMap((t) => membersOf(state, t).map((member) => ({ channel: t.channel, member })));
  }

  private flip(): void {
    const all = this.ourMembers();
    if (all.length === 0) return;
    const { channel, member } = this.random.pick(all);
    this.setHealth(
      channel,
      member,
      this.random.weighted([
        ["unhealthy", 3],
        ["healthy", 5],
        ["unknown", 1],
      ] as const),
    );
  }

  /** An instance of asg-1 that every health check of the gateway now fails. */
  private sick(): void {
    const web = this.ourMembers().filter(({ member }) => member.member_group_name === "web");
    if (web.length === 0) return;
    const { member } = this.random.pick(web);
    for (const m of web)
      if (m.member.ecs_id === member.ecs_id) this.setHealth(m.channel, m.member, "unhealthy");
  }

  private recover(): void {
    const sick = this.ourMembers().filter(({ member }) => member.health_status === "unhealthy");
    for (let k = 0; k < 3 && sick.length > 0; k++) {
      const { channel, member } = sick.splice(this.random.int(0, sick.length - 1), 1)[0]!;
      this.setHealth(channel, member, "healthy");
    }
  }

  /** The member quota fills up for a few rounds now and then: adds are refused with APIG.3110. */
  private quota(): void {
    if (this.tightRounds > 0 && --this.tightRounds === 0) this.emu.control.setOptions({ memberQuota: 100 });
    if (this.tightRounds > 0 || !this.random.chance(0.06)) return;
    const largest = Math.max(...this.state().gateways[0]!.channels.map((c) => c.members.length));
    this.emu.control.setOptions({ memberQuota: largest + this.random.int(0, 1) });
    this.tightRounds = this.random.int(1, 3);
  }

  /** What an operator does by hand: all of it must stay as they left it, or be theirs to undo. */
  private async operate(): Promise<void> {
    const channel = this.random.pick(CHANNELS);
    const ref = { gateway: "apig" as const, instance_id: GATEWAY, vpc_channel_id: channel };
    const what = this.random.weighted([
      ["member", 3],
      ["group", 1],
      ["release", 3],
      ["standby", 1],
    ] as const);
    if (what === "member" || what === "group") {
      const group = what === "group" ? `ops-${++this.opsGroups}` : FOREIGN_GROUP[channel];
      if (what === "group")
        await this.operator().gateway.createMemberGroups(ref, [
          { member_group_name: group, member_group_remark: "team c" },
        ]);
      // Sometimes a server of one of our instances: the operator's member of it is still theirs.
      const web = this.instances("asg-1");
      const ecs =
        this.random.chance(0.3) && web.length > 0
          ? this.random.pick(web).instance_id
          : `o-${++this.opsMembers}`;
      // The gateway may refuse it (the member quota): the operator's change is then not made.
      await this.operator()
        .gateway.addMembers(ref, [
          { ecs_id: ecs, ecs_name: instanceName(ecs), weight: 7, is_backup: false, member_group_name: group },
        ])
        .catch(() => undefined);
      this.checks.foreignChanged();
    } else if (what === "release") {
      await this.release();
    } else {
      const waiting = new Set(this.hanging("asg-1").map((h) => h.instance_id));
      const inService = this.instances("asg-1").filter(
        (i) => i.life_cycle_state === "INSERVICE" && !waiting.has(i.instance_id),
      );
      if (inService.length === 0) return;
      const one = this.random.pick(inService);
      this.emu.control.setInstance({
        scaling_group_id: "asg-1",
        instance_id: one.instance_id,
        life_cycle_state: "STANDBY",
      });
    }
    this.figures.operatorChanges += 1;
  }

  /** The runbook's ways to free budget: exit standby, remove the quarantined-at tag, or remove the instance. */
  private async release(): Promise<void> {
    const state = this.state();
    const held = this.instances("asg-1").filter((i) => IN_STANDBY.has(i.life_cycle_state));
    if (held.length === 0) return;
    const one = this.random.pick(held);
    const tagged = tagOf(state, one.instance_id, QUARANTINED_AT_TAG) !== undefined;
    const how = this.random.pick(
      tagged ? (["exit", "untag", "remove"] as const) : (["exit", "remove"] as const),
    );
    if (how === "untag") await this.operator().ecs.deleteServerTag(one.instance_id, QUARANTINED_AT_TAG);
    if (how === "exit")
      this.emu.control.setInstance({
        scaling_group_id: "asg-1",
        instance_id: one.instance_id,
        life_cycle_state: "INSERVICE",
      });
    if (how === "remove") {
      this.emu.control.removeInstance("asg-1", one.instance_id);
      this.announce("asg-1", one.instance_id, "removed from standby");
    }
  }
}
