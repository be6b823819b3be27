import { SortedCollection } from "./collection";
import type { ChannelInfo, MemberGroupInfo, MemberStatus, MemberType, VpcMemberInfo } from "./model";
import type { DeletedMember } from "./types";

/** The fields that identify a member inside a channel (the gateway's upsert key). */
export interface MemberKeyFields {
  member_group_name: string;
  ecs_id?: string;
  host?: string;
  port: number;
}

/**
 * The upsert identity: (member_group_name, ecs_id) on ecs channels, (member_group_name, host, port) on
 * ip channels. The only place this rule lives.
 */
export function memberIdentity(memberType: MemberType, m: MemberKeyFields): string {
  return memberType === "ecs"
    ? `${m.member_group_name}\u0000${m.ecs_id ?? ""}`
    : `${m.member_group_name}\u0000${m.host ?? ""}\u0000${m.port}`;
}

/** One VPC channel: its settings, member groups, and members indexed by id and by identity. */
export class ChannelStore {
  readonly members = new SortedCollection<VpcMemberInfo>(
    (m) => m.id,
    (m) => m.create_time,
  );
  private readonly byIdentity = new Map<string, string>();
  /** Member id → since when it is disabled (ISO); not part of the API's member model. */
  private readonly disabledSince = new Map<string, string>();

  constructor(
    public info: ChannelInfo,
    public groups: MemberGroupInfo[],
  ) {}

  get id(): string {
    return this.info.id;
  }

  identityOf(m: MemberKeyFields): string {
    return memberIdentity(this.info.member_type, m);
  }

  findByIdentity(identity: string): VpcMemberInfo | undefined {
    const id = this.byIdentity.get(identity);
    return id === undefined ? undefined : this.members.get(id);
  }

  group(name: string): MemberGroupInfo | undefined {
    return this.groups.find((g) => g.member_group_name === name);
  }

  /** Adds a member; `at` is when (a member added disabled is disabled since then). */
  addMember(member: VpcMemberInfo, at: string): void {
    this.members.put(member);
    this.byIdentity.set(this.identityOf(member), member.id);
    if (member.status === 2) this.disabledSince.set(member.id, at);
  }

  /** Enables or disables a member, remembering since when a disabled one has been disabled. */
  setStatus(member: VpcMemberInfo, status: MemberStatus, now: string): void {
    if (status === 2 && member.status !== 2) this.disabledSince.set(member.id, now);
    if (status === 1) this.disabledSince.delete(member.id);
    member.status = status;
  }

  /** Removes a member; returns it as it was (and since when it was disabled), or undefined when absent. */
  removeMember(id: string): DeletedMember | undefined {
    const member = this.members.get(id);
    if (!member) return undefined;
    const since = this.disabledSince.get(id);
    this.byIdentity.delete(this.identityOf(member));
    this.disabledSince.delete(id);
    this.members.delete(id);
    return { member: structuredClone(member), ...(since !== undefined && { disabled_since: since }) };
  }

  /** Removes every member matching `predicate`; returns how many were removed. */
  removeMembersWhere(predicate: (m: VpcMemberInfo) => boolean): number {
    const doomed = this.members.list().filter(predicate);
    for (const m of doomed) this.removeMember(m.id);
    return doomed.length;
  }
}
