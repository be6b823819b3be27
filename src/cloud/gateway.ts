import * as z from "zod";
import type { HealthCheck } from "../config/schema";
import type { CloudHttp } from "./http";
import { type GatewayKind, paths } from "./paths";

export const MemberSchema = z.looseObject({
  id: z.string(),
  host: z.string().nullish(),
  weight: z.number().nullish(),
  is_backup: z.boolean().nullish(),
  member_group_name: z.string().nullish(),
  member_group_id: z.string().nullish(),
  status: z.number().nullish(),
  port: z.number().nullish(),
  ecs_id: z.string().nullish(),
  ecs_name: z.string().nullish(),
  create_time: z.string().nullish(),
  /** APIG only: healthy | unhealthy | unknown. */
  health_status: z.string().nullish(),
});
export type Member = z.infer<typeof MemberSchema>;

export const MemberGroupSchema = z.looseObject({
  member_group_name: z.string(),
  member_group_id: z.string().nullish(),
  member_group_remark: z.string().nullish(),
  member_group_weight: z.number().nullish(),
  microservice_version: z.string().nullish(),
  microservice_port: z.number().nullish(),
});
export type MemberGroup = z.infer<typeof MemberGroupSchema>;

export const ChannelSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  port: z.number(),
  balance_strategy: z.number(),
  member_type: z.string(),
  type: z.number().nullish(),
  member_groups: z.array(MemberGroupSchema).nullish(),
  vpc_health_config: z.looseObject({}).nullish(),
});
export type Channel = z.infer<typeof ChannelSchema>;

const MemberPageSchema = z.looseObject({
  total: z.number().nullish(),
  size: z.number().nullish(),
  members: z.array(MemberSchema).nullish(),
});
/** A page of the members list: without `members` it is not one (unless it says there are none). */
const MemberListPageSchema = MemberPageSchema.refine(
  (p) => Array.isArray(p.members) || p.total === 0,
  "members is missing",
);

/** What we send for one member (seed 000, MemberInfo). */
export interface MemberInfo {
  host?: string;
  weight: number;
  is_backup: boolean;
  member_group_name: string;
  port?: number;
  ecs_id: string;
  ecs_name: string;
}

/** The PUT channel body (seed 002): the full definition, minus `members` so no member is replaced. */
export interface ChannelUpdate {
  name: string;
  port: number;
  balance_strategy: number;
  member_type: string;
  type?: number;
  member_groups: Array<Omit<MemberGroup, "member_group_id">>;
  vpc_health_config?: HealthCheck | Record<string, unknown>;
}

export interface ChannelRef {
  gateway: GatewayKind;
  instance_id: string;
  vpc_channel_id: string;
}

/** Members list page size: APIG documents a maximum of 500. */
export const MEMBER_PAGE_SIZE = 500;

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    throw new Error(`${what}: unexpected response shape (${result.error.issues[0]?.message ?? "invalid"})`);
  }
  return result.data;
}

/** VPC channel calls for ROMA Connect (`/apic/`) and dedicated APIG (`/apigw/`). */
export class GatewayClient {
  constructor(private readonly http: CloudHttp) {}

  private service(ref: ChannelRef) {
    return ref.gateway === "apig" ? ("apig" as const) : ("roma" as const);
  }

  async showChannel(ref: ChannelRef): Promise<Channel> {
    const res = await this.http.request<unknown>({
      service: this.service(ref),
      operation: "showChannel",
      method: "GET",
      path: paths.channel(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id),
      schema: ChannelSchema,
    });
    return parse(ChannelSchema, res.body, "showChannel");
  }

  /** Every member of one member group, paging with offset/limit until a short page. */
  async listGroupMembers(ref: ChannelRef, memberGroupName: string): Promise<Member[]> {
    const all: Member[] = [];
    for (let offset = 0; ; offset += MEMBER_PAGE_SIZE) {
      const res = await this.http.request<unknown>({
        service: this.service(ref),
        operation: "listMembers",
        method: "GET",
        path: paths.members(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id),
        query: {
          offset,
          limit: MEMBER_PAGE_SIZE,
          member_group_name: memberGroupName,
          precise_search: "member_group_name",
        },
        schema: MemberListPageSchema,
      });
      const page = parse(MemberPageSchema, res.body, "listMembers");
      const members = page.members ?? [];
      // The filter is exact with precise_search; keep the check so a gateway that ignores it cannot
      // hand us another group's members to manage.
      all.push(...members.filter((m) => m.member_group_name === memberGroupName));
      const total = page.total ?? undefined;
      if (members.length < MEMBER_PAGE_SIZE || (total !== undefined && offset + members.length >= total)) {
        return all;
      }
    }
  }

  /** Upserts members (POST is add-or-update by address); returns the members the gateway reports. */
  async addMembers(ref: ChannelRef, members: MemberInfo[]): Promise<Member[]> {
    const res = await this.http.request<unknown>({
      service: this.service(ref),
      operation: "addMembers",
      method: "POST",
      path: paths.members(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id),
      body: { members },
    });
    return parse(MemberPageSchema, res.body ?? {}, "addMembers").members ?? [];
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

  async updateChannel(ref: ChannelRef, update: ChannelUpdate): Promise<Channel> {
    const res = await this.http.request<unknown>({
      service: this.service(ref),
      operation: "updateChannel",
      method: "PUT",
      path: paths.channel(ref.gateway, this.http.projectId, ref.instance_id, ref.vpc_channel_id),
      body: update,
      schema: ChannelSchema,
    });
    return parse(ChannelSchema, res.body, "updateChannel");
  }
}
