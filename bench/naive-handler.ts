/**
 * The reference the cold-start figures compare against: the same job written the naive way, on
 * sdk-core's ClientBuilder/HcClient (axios, log4js, form-data, lodash, moment) with zod and p-retry.
 * Built into bench/.out by the benchmark and only ever require()d there: never deployed, never run.
 */
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core";
import { ClientBuilder } from "@huaweicloud/huaweicloud-sdk-core/ClientBuilder";
import type { HcClient } from "@huaweicloud/huaweicloud-sdk-core/HcClient";
import pRetry from "p-retry";
import * as z from "zod";

const Bindings = z.array(
  z.object({
    scaling_group_id: z.string(),
    instance_id: z.string(),
    vpc_channel_id: z.string(),
    member_group_name: z.string(),
    weight: z.number().int().min(0).max(10000).default(1),
  }),
);

interface Context {
  getUserData(key: string): string | undefined;
  getSecurityAccessKey(): string;
  getSecuritySecretKey(): string;
}

export async function handler(_event: unknown, context: Context): Promise<number> {
  const bindings = Bindings.parse(JSON.parse(context.getUserData("BINDINGS") ?? "[]"));
  const credentials = new BasicCredentials()
    .withAk(context.getSecurityAccessKey())
    .withSk(context.getSecuritySecretKey())
    .withProjectId(context.getUserData("HUAWEICLOUD_SDK_PROJECT_ID"));
  const client = new ClientBuilder((hc: HcClient) => hc)
    .withCredential(credentials)
    .withEndpoint(context.getUserData("ROMA_ENDPOINT") ?? "")
    .build();
  let members = 0;
  for (const b of bindings) {
    const page = await pRetry(
      () =>
        client.sendRequest<{ httpStatusCode?: number; total?: number }>({
          method: "GET",
          url: "/v2/{project_id}/apic/instances/{instance_id}/vpc-channels/{vpc_channel_id}/members",
          contentType: "application/json",
          pathParams: { instance_id: b.instance_id, vpc_channel_id: b.vpc_channel_id },
          queryParams: { member_group_name: b.member_group_name },
          headers: {},
        }),
      { retries: 3 },
    );
    members += page.total ?? 0;
  }
  return members;
}
