import * as z from "zod/mini";
import type { HealthCheck } from "../config/schema";
import { lazy } from "../config/zod";
import type { ChannelRef } from "../plan/identity";
import type { CloudHttp } from "./http";
import { PageGuard } from "./paging";
import { paths } from "./paths";
import { checkResponse } from "./response-check";

// Response schemas are built on first use (src/config/zod.ts).

export const MemberSchema = lazy(() =>
  z.looseObject({
    id: z.string(),
    host: z.nullish(z.string()),
    weight: z.nullish(z.number()),
    is_backup: z.nullish(z.boolean()),
    member_group_name: z.nullish(z.string()),
    member_group_id: z.nullish(z.string()),
    status: z.nullish(z.number()),
    port: z.nullish(z.number()),
    ecs_id: z.nullish(z.string()),
    ecs_name: z.nullish(z.string()),
    create_time: z.nullish(z.string()),
    /** APIG only: healthy | unhealthy | unknown. */
    health_status: z.nullish(z.string()),
  }),
);
export type Member = z.infer<ReturnType<typeof MemberSchema>>;

export const MemberGroupSchema = lazy(() =>
  z.looseObject({
    member_group_name: z.string(),
    member_group_id: z.nullish(z.string()),
    member_group_remark: z.nullish(z.string()),
    member_group_weight: z.nullish(z.number()),
    microservice_version: z.nullish(z.string()),
    microservice_port: z.nullish(z.number()),
  }),
);
export type MemberGroup = z.infer<ReturnType<typeof MemberGroupSchema>>;

export const ChannelSchema = lazy(() =>
  z.looseObject({
    id: z.string(),
    name: z.string(),
    port: z.number(),
    balance_strategy: z.number(),
    member_type: z.string(),
    type: z.nullish(z.number()),
    member_groups: z.nullish(z.array(MemberGroupSchema())),
    vpc_health_config: z.nullish(z.looseObject({})),
  }),
);
export type Channel = z.infer<ReturnType<typeof ChannelSchema>>;

export const MemberPageSchema = lazy(() =>
  z.looseObject({
    total: z.nullish(z.number()),
    size: z.nullish(z.number()),
    members: z.nullish(z.array(MemberSchema())),
  }),
);
/** A page of the members list: without `members` it is not one (unless it says there are none). */
export const MemberListPageSchema = lazy(() =>
  MemberPageSchema().check(z.refine((p) => Array.isArray(p.members) || p.total === 0, "members is missing")),
);

/** What we send for one member (`MemberInfo`: huaweicloud-sdk-go-v3 `services/{roma,apig}/v2/model/model_member_info.go`). */
export interface MemberInfo {
  host?: string;
  weight: number;
  is_backup: boolean;
  member_group_name: string;
  port?: number;
  ecs_id: string;
  ecs_name: string;
}

/**
 * One entry of the add-or-update member-groups body (`MemberGroupCreate` in the official SDKs'
 * services/{roma,apig}/v2/model/model_member_group_create.go).
 */
export interface MemberGroupCreate {
  member_group_name: string;
  member_group_remark?: string;
  member_group_weight?: number;
}

/** Members list page size: APIG documents a maximum of 500. */
export const MEMBER_PAGE_SIZE = 500;

/** The pages a member listing takes, from its first page: all of them when it gives no total. */
const pagesOf = (total: number | undefined, firstPageLength: number): number =>
  total === undefined
    ? Number.POSITIVE_INFINITY
    : Math.max(1, Math.ceil(total / Math.max(1, Math.min(firstPageLength, MEMBER_PAGE_SIZE))));

/** VPC channel calls for ROMA Connect (`/apic/`) and dedicated APIG (`/apigw/`). */
export class GatewayClient {
  constructor(private readonly http: CloudHttp) {}

  private service(ref: ChannelRef) {
    return ref.gateway === "apig" ? ("apig" as const) : ("roma" as const);
  }

  async showChannel(ref: ChannelRef): Promise<Channel> {
    const res = await this.http.request({
      service: this.service(ref),
      operation: "showChannel",
      method: "GET",
      path: paths.channel(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id),
      schema: ChannelSchema(),
    });
    return res.body;
  }

  /**
   * Every member of one member group (the gateway filters: `member_group_name` with `precise_search`),
   * paging with offset/limit until the total (or a short page); a listing that does not add up stops
   * with PAGING_INCONSISTENT (./paging.ts).
   */
  async listGroupMembers(ref: ChannelRef, memberGroupName: string): Promise<Member[]> {
    // The filter is exact with precise_search; keep the check so a gateway that ignores it cannot
    // hand us another group's members to manage.
    return (await this.listMembers(ref, memberGroupName))!.filter(
      (m) => m.member_group_name === memberGroupName,
    );
  }

  /**
   * Every member of the channel, whatever its group; or undefined when `worthIt`, told after the first
   * page how many pages the whole listing takes, says it is not worth reading on.
   */
  listChannelMembers(ref: ChannelRef, worthIt: (pages: number) => boolean): Promise<Member[] | undefined> {
    return this.listMembers(ref, undefined, worthIt);
  }

  private async listMembers(
    ref: ChannelRef,
    memberGroupName: string | undefined,
    worthIt?: (pages: number) => boolean,
  ): Promise<Member[] | undefined> {
    const all: Member[] = [];
    const guard = new PageGuard(this.service(ref), "listMembers", MEMBER_PAGE_SIZE);
    const filter =
      memberGroupName === undefined
        ? {}
        : { member_group_name: memberGroupName, precise_search: "member_group_name" };
    for (let first = true; ; first = false) {
      const { body: page } = await this.http.request({
        service: this.service(ref),
        operation: "listMembers",
        method: "GET",
        path: paths.members(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id),
        query: { offset: guard.offset, limit: MEMBER_PAGE_SIZE, ...filter },
        schema: MemberListPageSchema(),
      });
      const members = page.members ?? [];
      const total = page.total ?? undefined;
      const { more, fresh } = guard.read(members, (m) => m.id, total);
      all.push(...fresh);
      if (!more) return all;
      if (first && worthIt && !worthIt(pagesOf(total, members.length))) return undefined;
    }
  }

  /** Upserts members (POST is add-or-update by address); returns the members APIG reports (none on ROMA). */
  async addMembers(ref: ChannelRef, members: MemberInfo[]): Promise<Member[]> {
    const res = await this.http.request<unknown>({
      service: this.service(ref),
      operation: "addMembers",
      method: "POST",
      path: paths.members(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id),
      body: { members },
    });
    // The write is done once the gateway says 2xx; the echo only saves a read of the new members'
    // health, so an answer of another shape is not a failure. Only APIG reports member health (ROMA's
    // member model has no health_status), so a ROMA echo is not even checked: 100 members a POST.
    if (ref.gateway !== "apig") return [];
    const echoed = checkResponse(MemberPageSchema(), res.body ?? {});
    return echoed.success ? (echoed.data.members ?? []) : [];
  }

  async deleteMember(ref: ChannelRef, memberId: string): Promise<void> {
    await this.http.request<unknown>({
      service: this.service(ref),
      operation: "deleteMember",
      method: "DELETE",
      path: paths.member(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id, memberId),
    });
  }

  async setMembersEnabled(ref: ChannelRef, memberIds: string[], enabled: boolean): Promise<void> {
    const action = enabled ? "enable" : "disable";
    await this.http.request<unknown>({
      service: this.service(ref),
      operation: enabled ? "enableMembers" : "disableMembers",
      method: "POST",
      path: paths.batchMembers(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id, action),
      body: { member_ids: memberIds },
    });
  }

  /**
   * Add-or-update member groups by name: `POST …/vpc-channels/{id}/member-groups` (CreateMemberGroup
   * in the official SDKs). A group of that name that already exists is updated, no other group is
   * touched, so sending only the missing groups never deletes or rewrites anyone else's.
   */
  async createMemberGroups(ref: ChannelRef, groups: MemberGroupCreate[]): Promise<void> {
    await this.http.request<unknown>({
      service: this.service(ref),
      operation: "createMemberGroups",
      method: "POST",
      path: paths.memberGroups(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id),
      body: { member_groups: groups },
    });
  }

  /**
   * Sets the channel's health check alone: `PUT …/vpc-channels/{id}/health-config` with the
   * `VpcHealthConfig` fields (UpdateHealthCheck in the official SDKs). Nothing else of the channel
   * is sent, so nothing else can be undone.
   */
  async updateHealthCheck(ref: ChannelRef, healthCheck: HealthCheck): Promise<void> {
    await this.http.request<unknown>({
      service: this.service(ref),
      operation: "updateHealthCheck",
      method: "PUT",
      path: paths.healthConfig(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id),
      body: healthCheck,
    });
  }
}
