import { SortedCollection } from "./collection";
import type { ChannelInfo, MemberGroupInfo, MemberType, VpcMemberInfo } from "./model";

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

  addMember(member: VpcMemberInfo): void {
    this.members.put(member);
    this.byIdentity.set(this.identityOf(member), member.id);
  }

  removeMember(id: string): boolean {
    const member = this.members.get(id);
    if (!member) return false;
    this.byIdentity.delete(this.identityOf(member));
    return this.members.delete(id);
  }

  /** Removes every member matching `predicate`; returns how many were removed. */
  removeMembersWhere(predicate: (m: VpcMemberInfo) => boolean): number {
    const doomed = this.members.list().filter(predicate);
    for (const m of doomed) this.removeMember(m.id);
    return doomed.length;
  }
}
