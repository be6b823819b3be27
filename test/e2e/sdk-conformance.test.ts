import { readFileSync } from "node:fs";
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { BasicCredentials } from "@huaweicloud/huaweicloud-sdk-core/auth/BasicCredentials";
import { ClientBuilder } from "@huaweicloud/huaweicloud-sdk-core/ClientBuilder";
import type { HcClient } from "@huaweicloud/huaweicloud-sdk-core/HcClient";
import { EcsClient as OfficialEcsClient } from "@huaweicloud/huaweicloud-sdk-ecs/v2/EcsClient";
import { BatchAddServerTag } from "@huaweicloud/huaweicloud-sdk-ecs/v2/model/BatchAddServerTag";
import { BatchCreateServerTagsRequest } from "@huaweicloud/huaweicloud-sdk-ecs/v2/model/BatchCreateServerTagsRequest";
import { BatchCreateServerTagsRequestBody } from "@huaweicloud/huaweicloud-sdk-ecs/v2/model/BatchCreateServerTagsRequestBody";
import { BatchDeleteServerTagsRequest } from "@huaweicloud/huaweicloud-sdk-ecs/v2/model/BatchDeleteServerTagsRequest";
import { BatchDeleteServerTagsRequestBody } from "@huaweicloud/huaweicloud-sdk-ecs/v2/model/BatchDeleteServerTagsRequestBody";
import { ListServersDetailsRequest } from "@huaweicloud/huaweicloud-sdk-ecs/v2/model/ListServersDetailsRequest";
import { ServerTag } from "@huaweicloud/huaweicloud-sdk-ecs/v2/model/ServerTag";
import { FunctionGraphClient as OfficialFunctionGraphClient } from "@huaweicloud/huaweicloud-sdk-functiongraph/v2/FunctionGraphClient";
import { AsyncInvokeFunctionRequest } from "@huaweicloud/huaweicloud-sdk-functiongraph/v2/model/AsyncInvokeFunctionRequest";
import { afterAll, describe, expect, it } from "vitest";
import { AutoScalingClient, INSTANCE_PAGE_SIZE } from "../../src/cloud/autoscaling";
import { AutoScalingTagsClient, TAG_QUERY_PAGE_SIZE } from "../../src/cloud/autoscaling-tags";
import { Deadline } from "../../src/cloud/deadline";
import { EcsClient, SERVER_BATCH } from "../../src/cloud/ecs";
import { FunctionGraphClient } from "../../src/cloud/functiongraph";
import { GatewayClient, MEMBER_PAGE_SIZE, type MemberInfo } from "../../src/cloud/gateway";
import { CloudHttp } from "../../src/cloud/http";
import { paths } from "../../src/cloud/paths";
import { SmnClient } from "../../src/cloud/smn";
import { StandbyClient } from "../../src/cloud/standby";
import type { HealthCheck } from "../../src/config/schema";
import { Logger } from "../../src/observability/logger";
import { RunMetrics } from "../../src/observability/metrics";
import type { GatewayKind } from "../../src/plan/identity";
import { MANAGED_REMARK } from "../../src/plan/ownership";
import type { StateInput } from "../emulator";
import { type CanonicalParts, canonicalParts } from "../emulator/auth";
import { emulatorForFile } from "../support/emulator-for-file";

/**
 * Conformance with Huawei's official clients. For every operation the product calls (every builder in
 * src/cloud/paths.ts), the same logical call is made twice against the emulator: once the official way,
 * once by this product's clients. Both must be accepted (the emulator verifies every signature), and
 * both must agree on method, wire path, canonical URI, canonical query, signed headers and payload hash,
 * as the gateway derives them.
 *
 * "The official way" is one of two things, and each row says which (`source`):
 * - `"node-sdk"`: the generated official Node client makes the call (huaweicloud-sdk-ecs,
 *   huaweicloud-sdk-functiongraph: the only services the product calls that have a published Node SDK).
 *   The request is the SDK's own.
 * - a Go SDK definition: ROMA Connect, APIG, AS and SMN have no Node SDK on the registry, so the row
 *   builds the request with sdk-core's generic HcClient (as a generated client would: template, path
 *   params, query, body) from a hand-written template and body. What makes it official is the check
 *   against huaweicloud-sdk-go-v3 at GO_SDK_COMMIT: the row names the `*_meta.go` request definition
 *   its method and path template were copied from, and the `model/` file(s) its body or query fields
 *   were checked against (every field sent exists there, with the type and enum spelling the model has).
 *   The signing is sdk-core's either way; the request shape of these rows is only as right as that check.
 *
 * To cover a new operation, add a row to `rows` (or to `gatewayRows` for a VPC channel call): the
 * official request, its source, the product's call, and any state the call needs in `state()`. The
 * coverage test fails while a paths.ts builder has no row; docs/cloud-apis.md's count of each kind is checked
 * against the rows.
 */

/** The huaweicloud-sdk-go-v3 commit the hand-built rows were checked against (2026-03-13). */
const GO_SDK_COMMIT = "1cd70eb6f730ea721771a6ec8d96352bbb801787";

const PROJECT = "0605767a9b00d2b52f1ec00b3d42e8b5";
const AK = "EMULATORAK";
const SK = "EMULATORSK";
const INSTANCE = { roma: "eddc4d25480b4cd6b512f270a1b8b341", apig: "8f8c3e6d2b0f4c7e9a1d5b3c7e9f1a2b" };
const CHANNEL = { roma: "105c6902457144a4820dff8b1ad63331", apig: "56a7d7358e1b42459c9d730d65b14e59" };
const MEMBER = { roma: "683b6807cad54122a6777ad047a6178e", apig: "3a2e7d5c9b8f4e6a8d1c2b3a4f5e6d7c" };
const GROUP = "37e310f5-db9d-446e-9135-c625f9c2bbfc";
const SERVERS = ["3082720c-3c15-409c-9ae3-4983ddfb6a9d", "a1b2c3d4-5e6f-4a8b-9c0d-1e2f3a4b5c6d"];
const ACTION_KEY = "2d8d0a19-9cb6-4d3e-8a9f-6c1d7f3e5b21";
const TOPIC = `urn:smn:cn-north-4:${PROJECT}:channel-autoscaler-dead-letters`;
const FUNCTION = `urn:fss:cn-north-4:${PROJECT}:function:default:channel-autoscaler-backfill:latest`;

function state(): StateInput {
  const gateway = (kind: GatewayKind) => ({
    instance_id: INSTANCE[kind],
    kind,
    channels: [
      {
        id: CHANNEL[kind],
        name: "web_channel",
        port: 8080,
        balance_strategy: 1,
        member_type: "ecs" as const,
        member_groups: [{ member_group_name: "web" }],
        members: [
          {
            id: MEMBER[kind],
            ecs_id: SERVERS[0],
            ecs_name: "web-1",
            member_group_name: "web",
            status: 2 as const,
          },
        ],
      },
    ],
  });
  return {
    gateways: [gateway("roma"), gateway("apig")],
    scaling_groups: [
      {
        scaling_group_id: GROUP,
        scaling_group_name: "web",
        instances: [
          { instance_id: SERVERS[0]!, instance_name: "web-1" },
          { instance_id: SERVERS[1]!, instance_name: "web-2", life_cycle_state: "PENDING_WAIT" },
        ],
        lifecycle_hooks: [{ lifecycle_hook_name: "launch", lifecycle_hook_type: "INSTANCE_LAUNCHING" }],
        hanging: [
          { instance_id: SERVERS[1]!, lifecycle_hook_name: "launch", lifecycle_action_key: ACTION_KEY },
        ],
        tags: [{ key: "channel-autoscaler-channel", value: CHANNEL.roma }],
      },
    ],
    servers: [
      { id: SERVERS[0]!, name: "web-1", ipv4: "192.168.0.11" },
      { id: SERVERS[1]!, name: "web-2", ipv4: "192.168.0.12" },
    ],
    topics: [{ topic_urn: TOPIC }],
    functions: [{ func_urn: FUNCTION }],
  };
}

/** The official clients, all pointed at the recording front of the emulator. */
interface Official {
  /** sdk-core's generic client, as a generated client holds it. */
  hc: HcClient;
  ecs: OfficialEcsClient;
  functionGraph: OfficialFunctionGraphClient;
}

/** This product's clients, pointed at the same front. */
interface Ours {
  gateway: GatewayClient;
  autoscaling: AutoScalingClient;
  autoscalingTags: AutoScalingTagsClient;
  ecs: EcsClient;
  smn: SmnClient;
  functionGraph: FunctionGraphClient;
  standby: StandbyClient;
}

/** A Go SDK request definition and the model files of what it sends (paths under huaweicloud-sdk-go-v3). */
interface GoSdkSource {
  /** `<services/…/*_meta.go>#GenReqDefFor<Operation>`: method and path template. */
  meta: string;
  /** The `model/` files of the request and of its body (or query), whose fields the row sends. */
  models: string[];
}

interface Row {
  /** The official operation (Go SDK name) and, for a VPC channel call, the gateway family. */
  operation: string;
  /** The paths.ts builder the product uses for this call. */
  path: keyof typeof paths;
  /** Where the official request comes from: a generated Node client, or a Go SDK definition (above). */
  source: "node-sdk" | GoSdkSource;
  official(sdk: Official): Promise<unknown>;
  ours(clients: Ours): Promise<unknown>;
}

/** A Go SDK source in a service's `*_meta.go` and `model/` directory. */
const go = (service: string, operation: string, ...models: string[]): GoSdkSource => {
  const dir = service === "as" ? "services/as/v1" : `services/${service}/v2`;
  return {
    meta: `${dir}/${service}_meta.go#GenReqDefFor${operation}`,
    models: models.map((m) => `${dir}/model/model_${m}.go`),
  };
};

interface GenericRequest {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The path template of the official request definition, `{project_id}` included. */
  url: string;
  pathParams: Record<string, string>;
  queryParams?: Record<string, string | number>;
  body?: unknown;
}

/**
 * A request through sdk-core's HcClient, shaped as a generated ParamCreater shapes it: the template and
 * path params (HcClient substitutes them raw; the credentials fill `{project_id}`), the query params, the
 * body as `data`, and the meta's content type (`application/json;charset=UTF-8` for a body,
 * `application/json` otherwise; HcClient sends either as `application/json`).
 */
function generic(req: GenericRequest): (sdk: Official) => Promise<unknown> {
  return (sdk) =>
    sdk.hc.sendRequest({
      method: req.method,
      url: req.url,
      contentType: req.body === undefined ? "application/json" : "application/json;charset=UTF-8",
      queryParams: req.queryParams ?? {},
      pathParams: req.pathParams,
      headers: {},
      ...(req.body !== undefined && { data: req.body }),
    } as never);
}

/** Channel setup bodies: MemberGroupCreateBatch and VpcHealthConfig (services/{roma,apig}/v2/model). */
const memberGroups = [{ member_group_name: "blue", member_group_remark: MANAGED_REMARK }];
const healthCheck: HealthCheck = {
  protocol: "HTTP",
  path: "/healthz",
  method: "GET",
  http_code: "200",
  threshold_normal: 2,
  threshold_abnormal: 3,
  time_interval: 10,
  timeout: 5,
};
const newMembers: MemberInfo[] = [
  {
    ecs_id: SERVERS[1]!,
    ecs_name: "web-2",
    member_group_name: "web",
    weight: 1,
    is_backup: false,
    port: 8080,
  },
];

/** The VPC channel calls, for ROMA Connect (`apic`) or dedicated APIG (`apigw`). */
function gatewayRows(kind: GatewayKind): Row[] {
  const family = kind === "apig" ? "apigw" : "apic";
  const channelUrl = `/v2/{project_id}/${family}/instances/{instance_id}/vpc-channels/{vpc_channel_id}`;
  const params = { instance_id: INSTANCE[kind], vpc_channel_id: CHANNEL[kind] };
  const ref = { gateway: kind, instance_id: INSTANCE[kind], vpc_channel_id: CHANNEL[kind] };
  const label = kind.toUpperCase();
  const svc = kind === "apig" ? "apig" : "roma";
  return [
    {
      operation: `ShowDetailsOfVpcChannelV2 (${label})`,
      path: "channel",
      source: go(svc, "ShowDetailsOfVpcChannelV2", "show_details_of_vpc_channel_v2_request"),
      official: generic({ method: "GET", url: channelUrl, pathParams: params }),
      ours: (c) => c.gateway.showChannel(ref),
    },
    {
      operation: `CreateMemberGroup (${label})`,
      path: "memberGroups",
      source: go(
        svc,
        "CreateMemberGroup",
        "create_member_group_request",
        "member_group_create_batch",
        "member_group_create",
      ),
      official: generic({
        method: "POST",
        url: `${channelUrl}/member-groups`,
        pathParams: params,
        body: { member_groups: memberGroups },
      }),
      ours: (c) => c.gateway.createMemberGroups(ref, memberGroups),
    },
    {
      operation: `UpdateHealthCheck (${label})`,
      path: "healthConfig",
      source: go(svc, "UpdateHealthCheck", "update_health_check_request", "vpc_health_config"),
      official: generic({
        method: "PUT",
        url: `${channelUrl}/health-config`,
        pathParams: params,
        body: healthCheck,
      }),
      ours: (c) => c.gateway.updateHealthCheck(ref, healthCheck),
    },
    {
      operation: `ListBackendInstancesV2 (${label})`,
      path: "members",
      source: go(svc, "ListBackendInstancesV2", "list_backend_instances_v2_request"),
      official: generic({
        method: "GET",
        url: `${channelUrl}/members`,
        pathParams: params,
        queryParams: {
          offset: 0,
          limit: MEMBER_PAGE_SIZE,
          member_group_name: "web",
          precise_search: "member_group_name",
        },
      }),
      ours: (c) => c.gateway.listGroupMembers(ref, "web"),
    },
    {
      operation: `AddingBackendInstancesV2 (${label})`,
      path: "members",
      source: go(
        svc,
        "AddingBackendInstancesV2",
        "adding_backend_instances_v2_request",
        "vpc_member_create",
        "member_info",
      ),
      official: generic({
        method: "POST",
        url: `${channelUrl}/members`,
        pathParams: params,
        body: { members: newMembers },
      }),
      ours: (c) => c.gateway.addMembers(ref, newMembers),
    },
    {
      operation: `DeleteBackendInstanceV2 (${label})`,
      path: "member",
      source: go(svc, "DeleteBackendInstanceV2", "delete_backend_instance_v2_request"),
      official: generic({
        method: "DELETE",
        url: `${channelUrl}/members/{member_id}`,
        pathParams: { ...params, member_id: MEMBER[kind] },
      }),
      ours: (c) => c.gateway.deleteMember(ref, MEMBER[kind]),
    },
    ...(["enable", "disable"] as const).map(
      (action): Row => ({
        operation: `Batch${action === "enable" ? "Enable" : "Disable"}Members (${label})`,
        path: "batchMembers",
        source: go(
          svc,
          `Batch${action === "enable" ? "Enable" : "Disable"}Members`,
          `batch_${action}_members_request`,
          "members_batch_enable_or_disable",
        ),
        official: generic({
          method: "POST",
          url: `${channelUrl}/members/batch-${action}`,
          pathParams: params,
          body: { member_ids: [MEMBER[kind]] },
        }),
        ours: (c) => c.gateway.setMembersEnabled(ref, [MEMBER[kind]], action === "enable"),
      }),
    ),
  ];
}

const rows: Row[] = [
  ...gatewayRows("roma"),
  ...gatewayRows("apig"),
  {
    operation: "ListScalingInstances",
    path: "groupInstances",
    source: go("as", "ListScalingInstances", "list_scaling_instances_request"),
    official: generic({
      method: "GET",
      url: "/autoscaling-api/v1/{project_id}/scaling_group_instance/{scaling_group_id}/list",
      pathParams: { scaling_group_id: GROUP },
      queryParams: { start_number: 0, limit: INSTANCE_PAGE_SIZE },
    }),
    ours: (c) => c.autoscaling.listGroupInstances(GROUP),
  },
  {
    operation: "ListHookInstances",
    path: "hangingHooks",
    source: go("as", "ListHookInstances", "list_hook_instances_request"),
    official: generic({
      method: "GET",
      url: "/autoscaling-api/v1/{project_id}/scaling_instance_hook/{scaling_group_id}/list",
      pathParams: { scaling_group_id: GROUP },
    }),
    ours: (c) => c.autoscaling.listHangingHooks(GROUP),
  },
  {
    operation: "AttachCallbackInstanceLifeCycleHook",
    path: "hookCallback",
    source: go(
      "as",
      "AttachCallbackInstanceLifeCycleHook",
      "attach_callback_instance_life_cycle_hook_request",
      "callback_life_cycle_hook_option",
    ),
    official: generic({
      method: "PUT",
      url: "/autoscaling-api/v1/{project_id}/scaling_instance_hook/{scaling_group_id}/callback",
      pathParams: { scaling_group_id: GROUP },
      body: { lifecycle_action_result: "CONTINUE", lifecycle_action_key: ACTION_KEY },
    }),
    ours: (c) =>
      c.autoscaling.completeHook(
        {
          scaling_group_id: GROUP,
          instance_id: SERVERS[1]!,
          lifecycle_hook_name: "launch",
          lifecycle_action_key: ACTION_KEY,
        },
        "CONTINUE",
      ),
  },
  {
    operation: "ListResourceInstances (scaling_group_tag)",
    path: "groupsByTag",
    source: go(
      "as",
      "ListResourceInstances",
      "list_resource_instances_request",
      "query_tags_option",
      "tags_multi_value",
    ),
    official: generic({
      method: "POST",
      url: "/autoscaling-api/v1/{project_id}/{resource_type}/resource_instances/action",
      pathParams: { resource_type: "scaling_group_tag" },
      body: {
        action: "filter",
        tags: [{ key: "channel-autoscaler-channel", values: [] }],
        limit: String(TAG_QUERY_PAGE_SIZE),
      },
    }),
    ours: (c) => c.autoscalingTags.listGroupsByTags([{ key: "channel-autoscaler-channel", values: [] }]),
  },
  {
    operation: "ListScalingTagInfosByResourceId (scaling_group_tag)",
    path: "groupTags",
    source: go("as", "ListScalingTagInfosByResourceId", "list_scaling_tag_infos_by_resource_id_request"),
    official: generic({
      method: "GET",
      url: "/autoscaling-api/v1/{project_id}/{resource_type}/{resource_id}/tags",
      pathParams: { resource_type: "scaling_group_tag", resource_id: GROUP },
    }),
    ours: (c) => c.autoscalingTags.listGroupTags(GROUP),
  },
  {
    operation: "ListServersDetails",
    path: "serversDetail",
    source: "node-sdk",
    official: (sdk) =>
      sdk.ecs.listServersDetails(
        new ListServersDetailsRequest().withServerId(SERVERS.join(",")).withLimit(SERVER_BATCH),
      ),
    ours: (c) => c.ecs.privateAddresses(SERVERS),
  },
  {
    operation: "BatchCreateServerTags",
    path: "serverTagsAction",
    source: "node-sdk",
    official: (sdk) =>
      sdk.ecs.batchCreateServerTags(
        new BatchCreateServerTagsRequest()
          .withServerId(SERVERS[0]!)
          .withBody(
            new BatchCreateServerTagsRequestBody()
              .withAction("create")
              .withTags([
                new BatchAddServerTag().withKey("channel-autoscaler-unhealthy-since").withValue("1795309200"),
              ]),
          ),
      ),
    ours: (c) => c.ecs.setServerTag(SERVERS[0]!, "channel-autoscaler-unhealthy-since", "1795309200"),
  },
  {
    operation: "BatchDeleteServerTags",
    path: "serverTagsAction",
    source: "node-sdk",
    official: (sdk) =>
      sdk.ecs.batchDeleteServerTags(
        new BatchDeleteServerTagsRequest()
          .withServerId(SERVERS[0]!)
          .withBody(
            new BatchDeleteServerTagsRequestBody()
              .withAction("delete")
              .withTags([new ServerTag().withKey("channel-autoscaler-unhealthy-since")]),
          ),
      ),
    ours: (c) => c.ecs.deleteServerTag(SERVERS[0]!, "channel-autoscaler-unhealthy-since"),
  },
  {
    operation: "BatchSetScalingInstancesStandby",
    path: "groupInstanceAction",
    source: go(
      "as",
      "BatchSetScalingInstancesStandby",
      "batch_set_scaling_instances_standby_request",
      "batch_enter_standby_instances_option",
    ),
    official: generic({
      method: "POST",
      url: "/autoscaling-api/v1/{project_id}/scaling_group_instance/{scaling_group_id}/action",
      pathParams: { scaling_group_id: GROUP },
      body: { instances_id: [SERVERS[0]], action: "ENTER_STANDBY", instance_append: "yes" },
    }),
    ours: (c) => c.standby.enterStandbyWithReplacement(GROUP, [SERVERS[0]!]),
  },
  {
    operation: "PublishMessage",
    path: "smnPublish",
    source: go("smn", "PublishMessage", "publish_message_request", "publish_message_request_body"),
    official: generic({
      method: "POST",
      url: "/v2/{project_id}/notifications/topics/{topic_urn}/publish",
      pathParams: { topic_urn: TOPIC },
      body: { subject: "dead letter", message: '{"action":"add_members"}' },
    }),
    ours: (c) => c.smn.publish(TOPIC, "dead letter", '{"action":"add_members"}'),
  },
  {
    operation: "AsyncInvokeFunction",
    path: "invokeAsync",
    source: "node-sdk",
    official: (sdk) =>
      sdk.functionGraph.asyncInvokeFunction(
        new AsyncInvokeFunctionRequest()
          .withFunctionUrn(FUNCTION)
          .withBody({ scaling_group_ids: [GROUP], dry_run: false } as never),
      ),
    ours: (c) => c.functionGraph.invokeAsync(FUNCTION, { scaling_group_ids: [GROUP], dry_run: false }),
  },
];

/** One request as it arrived, and the emulator's answer to it. */
interface Captured {
  method: string;
  rawPath: string;
  rawQuery: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  status: number;
  authError: string | undefined;
}

/**
 * A recording front for the emulator: forwards every request unchanged (Host included, so the
 * signature still verifies) and keeps what was sent and the status the emulator answered.
 */
async function startRecorder(target: URL) {
  const captured: Captured[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const url = req.url ?? "/";
      const q = url.indexOf("?");
      const entry: Captured = {
        method: req.method ?? "GET",
        rawPath: q < 0 ? url : url.slice(0, q),
        rawQuery: q < 0 ? "" : url.slice(q + 1),
        headers: req.headers,
        body,
        status: 0,
        authError: undefined,
      };
      captured.push(entry);
      const forward = httpRequest(
        { host: target.hostname, port: target.port, method: req.method, path: url, headers: req.headers },
        (answer) => {
          entry.status = answer.statusCode ?? 0;
          const authError = answer.headers["x-emulator-auth-error"];
          entry.authError = typeof authError === "string" ? authError : undefined;
          res.writeHead(entry.status, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on("error", () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    captured,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

const emu = await emulatorForFile({ projectId: PROJECT });
const recorder = await startRecorder(new URL(emu.url));
afterAll(() => recorder.close());

const official: Official = (() => {
  const credentials = () => new BasicCredentials().withAk(AK).withSk(SK).withProjectId(PROJECT);
  const hc = new ClientBuilder((client: HcClient) => client)
    .withEndpoint(recorder.url)
    .withCredential(credentials())
    .build() as HcClient;
  return {
    hc,
    ecs: OfficialEcsClient.newBuilder().withEndpoint(recorder.url).withCredential(credentials()).build(),
    functionGraph: OfficialFunctionGraphClient.newBuilder()
      .withEndpoint(recorder.url)
      .withCredential(credentials())
      .build(),
  };
})();

const ours: Ours = (() => {
  const http = new CloudHttp({
    projectId: PROJECT,
    endpointOf: () => recorder.url,
    credentials: { ak: AK, sk: SK },
    // A clock that stands still: nothing here depends on how fast the machine is.
    deadline: new Deadline(60_000, 0, () => 0),
    policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    requestTimeoutMs: 60_000,
    metrics: new RunMetrics(),
    limiters: {},
  });
  return {
    gateway: new GatewayClient(http),
    autoscaling: new AutoScalingClient(http, new Logger({ level: "error", write: () => undefined })),
    autoscalingTags: new AutoScalingTagsClient(http),
    ecs: new EcsClient(http),
    smn: new SmnClient(http),
    functionGraph: new FunctionGraphClient(http),
    standby: new StandbyClient(http),
  };
})();

/** Runs `call` on a fresh emulator state and returns the one request it sent. */
async function sentBy(call: () => Promise<unknown>): Promise<{ request: Captured; error: unknown }> {
  emu.control.reset();
  emu.control.load(state());
  recorder.captured.length = 0;
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  expect(recorder.captured, "exactly one request per call").toHaveLength(1);
  return { request: recorder.captured[0]!, error };
}

function canonical(request: Captured): CanonicalParts & { rawPath: string } {
  const parts = canonicalParts(request);
  if ("ok" in parts) throw new Error(`not canonicalisable: ${parts.ok ? "" : parts.reason}`);
  return { rawPath: request.rawPath, ...parts };
}

describe("conformance with the official Huawei Cloud clients", () => {
  it("has a row for every path builder in src/cloud/paths.ts", () => {
    const covered = new Set(rows.map((r) => r.path));
    const missing = Object.keys(paths).filter((p) => !covered.has(p as keyof typeof paths));
    expect(missing, "paths.ts builders without a conformance row (add one to `rows`)").toEqual([]);
  });

  it("docs/cloud-apis.md says exactly which rows use an official Node client and which were checked against the Go SDK", () => {
    const readme = readFileSync(
      path.resolve(import.meta.dirname, "../../docs/cloud-apis.md"),
      "utf8",
    ).replace(/\s+/g, " ");
    const claim =
      /for (\d+) of its (\d+) rows \(([^)]*)\), the generated official Node client.*?the other (\d+) rows build the request with sdk-core's `HcClient`.*?at commit `([0-9a-f]+)`/.exec(
        readme,
      );
    expect(claim, "docs/cloud-apis.md: the sentence on the conformance test's rows").not.toBeNull();
    const [, nodeCount, total, named, goCount, commit] = claim!;
    const node = rows.filter((r) => r.source === "node-sdk");
    expect(Number(total)).toBe(rows.length);
    expect(Number(nodeCount)).toBe(node.length);
    expect(Number(goCount)).toBe(rows.length - node.length);
    for (const r of node)
      expect(named, `docs/cloud-apis.md names ${r.operation}`).toContain(`\`${r.operation}\``);
    expect(GO_SDK_COMMIT.startsWith(commit!)).toBe(true);
    // Every hand-built row names its request definition and at least the request's model.
    for (const r of rows) {
      if (r.source === "node-sdk") continue;
      expect(r.source.meta, r.operation).toMatch(/^services\/\w+\/v\d\/\w+_meta\.go#GenReqDefFor\w+$/);
      expect(r.source.models.length, r.operation).toBeGreaterThan(0);
    }
  });

  it.each(rows.map((r) => [r.operation, r] as const))("%s", async (_name, row) => {
    const sdk = await sentBy(() => row.official(official));
    expect(sdk.request.authError, "the emulator refused the official request's signature").toBeUndefined();
    expect(sdk.error).toBeUndefined();
    expect(sdk.request.status).toBeGreaterThanOrEqual(200);
    expect(sdk.request.status).toBeLessThan(300);

    const product = await sentBy(() => row.ours(ours));
    expect(product.error).toBeUndefined();
    expect(product.request.status).toBe(sdk.request.status);

    const expected = canonical(sdk.request);
    expect(canonical(product.request)).toEqual(expected);
    // URNs travel raw, as the Go, Java and Node SDKs send them, and are signed encoded once.
    expect(expected.rawPath).not.toMatch(/%/);
  });
});
