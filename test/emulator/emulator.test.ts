import { createRequire } from "node:module";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Emulator, StateError, type StateInput, startEmulator, type VpcMemberInfo } from "./index";

/**
 * The emulator over real sockets. Requests are signed with the official Huawei Cloud SDK signer so
 * the emulator's independent verifier is checked against the reference implementation.
 */

const require = createRequire(import.meta.url);
const { AKSKSigner } = require("@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner") as {
  AKSKSigner: { sign(request: unknown, credential: unknown): Record<string, string> };
};

const PROJECT = "proj-emulator";
const AK = "EMULATORAK";
const SK = "EMULATORSK";
const ROMA = `/v2/${PROJECT}/apic/instances/roma-1/vpc-channels`;
const APIG = `/v2/${PROJECT}/apigw/instances/apig-1/vpc-channels`;
const AS = `/autoscaling-api/v1/${PROJECT}`;
const TOPIC = "urn:smn:cn-north-4:proj-emulator:alerts";
const FUNCTION = "urn:fss:cn-north-4:proj-emulator:function:default:reconcile:latest";

interface CallOptions {
  query?: Record<string, string>;
  body?: unknown;
  ak?: string;
  sk?: string;
  /** Value of X-Project-Id; null leaves the header out. Default: the emulator's project. */
  projectHeader?: string | null;
  headers?: Record<string, string>;
  /** Changes what is sent after signing (to prove tampering is detected). */
  tamper?: (sent: { path: string; query: Record<string, string>; body: string | undefined }) => void;
  signal?: AbortSignal;
}

interface CallResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: response bodies are asserted field by field
  body: any;
  headers: Headers;
}

function toQueryString(query: Record<string, string>): string {
  const parts = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.length > 0 ? `?${parts.join("&")}` : "";
}

async function call(
  emu: Emulator,
  method: string,
  path: string,
  opts: CallOptions = {},
): Promise<CallResult> {
  const query = opts.query ?? {};
  const headers: Record<string, string> = { "Content-Type": "application/json", ...opts.headers };
  if (opts.projectHeader !== null) headers["X-Project-Id"] = opts.projectHeader ?? emu.projectId;
  const signed = AKSKSigner.sign(
    { endpoint: `${emu.url}${path}`, method, headers, queryParams: query, data: opts.body },
    { getAk: () => opts.ak ?? AK, getSk: () => opts.sk ?? SK },
  );
  delete signed.host;
  const sent = {
    path,
    query: { ...query },
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  };
  opts.tamper?.(sent);
  const res = await fetch(`${emu.url}${sent.path}${toQueryString(sent.query)}`, {
    method,
    headers: signed,
    body: sent.body,
    signal: opts.signal,
  });
  const text = await res.text();
  return { status: res.status, body: text === "" ? undefined : JSON.parse(text), headers: res.headers };
}

function control(emu: Emulator, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${emu.url}/_emulator${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

function fixture(): StateInput {
  return {
    gateways: [
      {
        instance_id: "roma-1",
        kind: "roma",
        channels: [
          {
            id: "chan-ecs",
            name: "web",
            port: 8080,
            member_type: "ecs",
            member_groups: [{ member_group_name: "web" }, { member_group_name: "other" }],
            members: [{ ecs_id: "srv-other", ecs_name: "other-1", member_group_name: "other" }],
          },
          {
            id: "chan-ip",
            name: "api",
            port: 80,
            member_type: "ip",
            member_groups: [{ member_group_name: "pool" }],
          },
        ],
      },
      {
        instance_id: "apig-1",
        kind: "apig",
        channels: [
          { id: "chan-apig", name: "apig.web", port: 443, member_groups: [{ member_group_name: "web" }] },
        ],
      },
    ],
    scaling_groups: [
      {
        scaling_group_id: "asg-1",
        scaling_group_name: "web",
        instances: [
          { instance_id: "srv-1", instance_name: "web-1" },
          { instance_id: "srv-2", instance_name: "web-2", life_cycle_state: "PENDING_WAIT" },
          {
            instance_id: "srv-3",
            instance_name: "web-3",
            life_cycle_state: "REMOVING_WAIT",
            health_status: "ERROR",
          },
        ],
        lifecycle_hooks: [
          { lifecycle_hook_name: "launch", lifecycle_hook_type: "INSTANCE_LAUNCHING" },
          {
            lifecycle_hook_name: "terminate",
            lifecycle_hook_type: "INSTANCE_TERMINATING",
            default_result: "CONTINUE",
          },
        ],
        hanging: [
          { instance_id: "srv-2", lifecycle_hook_name: "launch", lifecycle_action_key: "key-launch-2" },
          { instance_id: "srv-3", lifecycle_hook_name: "terminate", lifecycle_action_key: "key-terminate-3" },
        ],
      },
    ],
    servers: [
      { id: "srv-1", name: "web-1", ipv4: "192.168.0.11" },
      { id: "srv-2", name: "web-2", ipv4: "192.168.0.12" },
      { id: "srv-3", name: "web-3", ipv4: "192.168.0.13" },
      { id: "srv-other", name: "other-1", ipv4: "192.168.0.99" },
    ],
    topics: [{ topic_urn: TOPIC }],
    functions: [{ func_urn: FUNCTION }],
  };
}

function ipMembers(count: number, group = "pool"): Array<Record<string, unknown>> {
  return Array.from({ length: count }, (_, i) => ({
    host: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
    member_group_name: group,
  }));
}

function members(emu: Emulator, channelId: string): VpcMemberInfo[] {
  const channel = emu.control
    .state()
    .gateways.flatMap((g) => g.channels)
    .find((c) => c.id === channelId);
  return channel?.members ?? [];
}

let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator();
});

afterAll(async () => {
  await emu.close();
});

beforeEach(() => {
  emu.control.reset();
  emu.control.setOptions({ memberQuota: 10, latencyMs: 0, defaultMemberHealth: "healthy" });
  emu.control.load(fixture());
});

describe("signature verification", () => {
  it("accepts requests signed by the official SDK signer, with query and body", async () => {
    const list = await call(emu, "GET", `${ROMA}/chan-ecs/members`, {
      query: { member_group_name: "oth er/~*'()", limit: "20", offset: "0" },
    });
    expect(list.status).toBe(200);
    const add = await call(emu, "POST", `${ROMA}/chan-ecs/members`, {
      body: { members: [{ ecs_id: "srv-1", ecs_name: "服务器-1", member_group_name: "web" }] },
    });
    expect(add.status).toBe(201);
  });

  // Every official SDK signs each path segment decoded, then encoded once (urn%3Asmn%3A...). Go, Java
  // and Node send the URN raw; Python sends it encoded (huaweicloud-sdk-python-v3 signer.py
  // process_canonical_uri unquotes before quoting). A gateway that decodes first accepts both, and
  // refuses a signature over the encoded path encoded again (urn%253Asmn...).
  it("accepts a URN path segment signed once, sent raw (Go/Java/Node) or encoded (Python)", async () => {
    const raw = `/v2/${PROJECT}/notifications/topics/${TOPIC}/publish`;
    const encoded = `/v2/${PROJECT}/notifications/topics/${encodeURIComponent(TOPIC)}/publish`;
    const asNode = await call(emu, "POST", raw, { body: { message: "raw" } });
    expect(asNode.status).toBe(200);
    // Signed over the raw URN (canonical urn%3A...), sent with %3A on the wire, as Python does.
    const asPython = await call(emu, "POST", raw, {
      body: { message: "encoded" },
      tamper: (sent) => {
        sent.path = encoded;
      },
    });
    expect(asPython.status).toBe(200);
    expect(emu.control.state().topics[0]?.messages.map((m) => m.message)).toEqual(["raw", "encoded"]);
  });

  it("refuses a signature over a path segment encoded twice", async () => {
    // The signer encodes the %3A already on the path again, so it signs urn%253Asmn...
    const encoded = `/v2/${PROJECT}/notifications/topics/${encodeURIComponent(TOPIC)}/publish`;
    const res = await call(emu, "POST", encoded, { body: { message: "double" } });
    expect(res.status).toBe(401);
    expect(res.headers.get("x-emulator-auth-error")).toBe("signature does not match");
    const invoke = await call(
      emu,
      "POST",
      `/v2/${PROJECT}/fgs/functions/${encodeURIComponent(FUNCTION)}/invocations-async`,
      { body: {} },
    );
    expect(invoke.status).toBe(401);
    expect(emu.control.state().topics[0]?.messages).toEqual([]);
    expect(emu.control.state().functions[0]?.invocations).toEqual([]);
  });

  it.each([
    ["a wrong secret key", { sk: "WRONG" }],
    ["an unknown access key", { ak: "NOBODY" }],
    [
      "a tampered body",
      {
        tamper: (s: { body: string | undefined }) => {
          s.body = JSON.stringify({
            members: [{ ecs_id: "srv-2", ecs_name: "web-2", member_group_name: "web" }],
          });
        },
      },
    ],
    [
      "a tampered path",
      {
        tamper: (s: { path: string }) => {
          s.path = `${ROMA}/chan-ip/members`;
        },
      },
    ],
    [
      "a tampered query",
      {
        tamper: (s: { query: Record<string, string> }) => {
          s.query.limit = "21";
        },
      },
    ],
    ["a missing X-Project-Id", { projectHeader: null }],
    ["an X-Project-Id that differs from the path", { projectHeader: "proj-other" }],
  ])("rejects %s with 401 APIG.1002", async (_name, opts: CallOptions) => {
    const res = await call(emu, "POST", `${ROMA}/chan-ecs/members`, {
      query: { limit: "20" },
      body: { members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web" }] },
      ...opts,
    });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error_code: "APIG.1002",
      error_msg: "Incorrect token or token resolution failed",
    });
    expect(members(emu, "chan-ecs").map((m) => m.ecs_id)).toEqual(["srv-other"]);
  });

  it("rejects an unsigned request and a stale X-Sdk-Date", async () => {
    const unsigned = await fetch(`${emu.url}${ROMA}/chan-ecs`, { headers: { "X-Project-Id": PROJECT } });
    expect(unsigned.status).toBe(401);
    const stale = new Date(Date.now() - 20 * 60 * 1000).toISOString().replace(/[-:]|\.\d{3}/g, "");
    const res = await call(emu, "GET", `${ROMA}/chan-ecs`, { headers: { "X-Sdk-Date": stale } });
    expect(res.status).toBe(401);
    expect(res.headers.get("x-emulator-auth-error")).toMatch(/15 minutes/);
  });

  it("answers 403 for another project, and uses the AS error format on AS paths", async () => {
    const other = await call(emu, "GET", `/v2/proj-other/apic/instances/roma-1/vpc-channels/chan-ecs`, {
      projectHeader: "proj-other",
    });
    expect(other.status).toBe(403);
    expect(other.body.error_code).toBe("APIG.1005");
    emu.control.addFault({ endlessPaging: true, path: "/scaling_group_instance/" });
    const as = await call(emu, "GET", `${AS}/scaling_group_instance/asg-1/list`, { sk: "WRONG" });
    expect(as.status).toBe(401);
    expect(as.body.error.code).toBe("AS.0006");
  });

  it("requires a signed, equal X-Security-Token when the credential has one", async () => {
    const secured = await startEmulator({
      credentials: [{ ak: "TEMPAK", sk: "TEMPSK", securityToken: "tok-123" }],
    });
    try {
      secured.control.load(fixture());
      const path = `${ROMA}/chan-ecs`;
      const creds = { ak: "TEMPAK", sk: "TEMPSK" };
      expect((await call(secured, "GET", path, creds)).status).toBe(401);
      const wrong = await call(secured, "GET", path, {
        ...creds,
        headers: { "X-Security-Token": "tok-999" },
      });
      expect(wrong.status).toBe(401);
      const ok = await call(secured, "GET", path, { ...creds, headers: { "X-Security-Token": "tok-123" } });
      expect(ok.status).toBe(200);
      const logged = secured.control.calls();
      expect(logged.at(-1)?.headers).toEqual({ "x-project-id": PROJECT, "x-security-token": "<present>" });
      expect(JSON.stringify(logged)).not.toContain("tok-123");
    } finally {
      await secured.close();
    }
  });

  it("answers 404 APIG.0101 for a path no service has", async () => {
    const res = await call(emu, "GET", `/v2/${PROJECT}/apic/instances/roma-1/apis`);
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe("APIG.0101");
  });
});

describe("VPC channel members", () => {
  const add = (channel: string, body: unknown, base = ROMA) =>
    call(emu, "POST", `${base}/${channel}/members`, { body });

  it("shows a channel with its groups and members", async () => {
    const res = await call(emu, "GET", `${ROMA}/chan-ecs`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: "chan-ecs",
      name: "web",
      port: 8080,
      member_type: "ecs",
      status: 1,
    });
    expect(res.body.member_groups.map((g: { member_group_name: string }) => g.member_group_name)).toEqual([
      "web",
      "other",
    ]);
    expect(res.body.members).toHaveLength(1);
    expect(res.body.members[0]).toMatchObject({
      ecs_id: "srv-other",
      host: "192.168.0.99",
      weight: 1,
      status: 1,
    });
  });

  it("upserts by (member_group_name, ecs_id): same id and create_time, sent fields overwrite", async () => {
    const first = await add("chan-ecs", {
      members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web" }],
    });
    expect(first.status).toBe(201);
    const created = first.body.members[0];
    expect(created).toMatchObject({
      ecs_id: "srv-1",
      host: "192.168.0.11",
      port: 8080,
      weight: 1,
      status: 1,
      is_backup: false,
      member_group_name: "web",
      vpc_channel_id: "chan-ecs",
    });
    expect(created.id).toMatch(/^[0-9a-f]{32}$/);
    expect(created).not.toHaveProperty("health_status");

    await call(emu, "POST", `${ROMA}/chan-ecs/members/batch-disable`, { body: { member_ids: [created.id] } });
    const again = await add("chan-ecs", {
      members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web", weight: 7, port: 9090 }],
    });
    expect(again.status).toBe(201);
    expect(again.body.members[0]).toMatchObject({
      id: created.id,
      create_time: created.create_time,
      weight: 7,
      port: 9090,
      status: 2,
    });
    expect(members(emu, "chan-ecs")).toHaveLength(2);

    const otherGroup = await add("chan-ecs", {
      members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "other" }],
    });
    expect(otherGroup.body.members[0].id).not.toBe(created.id);
    expect(members(emu, "chan-ecs")).toHaveLength(3);
  });

  it("keeps the first of duplicate definitions in one body", async () => {
    const res = await add("chan-ecs", {
      members: [
        { ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web", weight: 3 },
        { ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web", weight: 9 },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ size: 1, total: 1 });
    expect(res.body.members[0].weight).toBe(3);
  });

  it("identifies ip members by (member_group_name, host, port), port defaulting to the channel's", async () => {
    const res = await add("chan-ip", {
      members: [
        { host: "10.0.0.1", member_group_name: "pool" },
        { host: "10.0.0.1", member_group_name: "pool", port: 81 },
        { host: "10.0.0.1", member_group_name: "pool", port: 80, weight: 5 },
      ],
    });
    expect(res.status).toBe(201);
    expect(res.body.members.map((m: VpcMemberInfo) => [m.port, m.weight])).toEqual([
      [80, 1],
      [81, 1],
    ]);
    expect(members(emu, "chan-ip")).toHaveLength(2);
  });

  it("gives ecs members of an unknown server an empty host", async () => {
    const res = await add("chan-ecs", {
      members: [{ ecs_id: "srv-gone", ecs_name: "gone", member_group_name: "web" }],
    });
    expect(res.body.members[0].host).toBe("");
  });

  const rangeMsg = (name: string) =>
    `The parameter value is outside the allowable range,parameterName:${name}. Please refer to the support documentation`;
  const invalidMsg = (name: string) =>
    `Invalid parameter value,parameterName:${name}. Please refer to the support documentation`;
  const missingMsg = (name: string) => `The request parameters must be specified, parameter name:${name}`;
  const ecs = { ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web" };

  it.each([
    ["weight above 10000", "chan-ecs", { ...ecs, weight: 10001 }, 400, "APIG.2004", rangeMsg("weight")],
    ["negative weight", "chan-ecs", { ...ecs, weight: -1 }, 400, "APIG.2004", rangeMsg("weight")],
    ["port above 65535", "chan-ecs", { ...ecs, port: 65536 }, 400, "APIG.2004", rangeMsg("port")],
    ["status 3", "chan-ecs", { ...ecs, status: 3 }, 400, "APIG.2012", invalidMsg("status")],
    ["missing ecs_id", "chan-ecs", { ecs_name: "web-1" }, 400, "APIG.2001", missingMsg("ecs_id")],
    ["bad ecs_id", "chan-ecs", { ...ecs, ecs_id: "srv 1" }, 400, "APIG.2012", invalidMsg("ecs_id")],
    ["missing ecs_name", "chan-ecs", { ecs_id: "srv-1" }, 400, "APIG.2001", missingMsg("ecs_name")],
    ["bad ecs_name", "chan-ecs", { ...ecs, ecs_name: "web 1" }, 400, "APIG.2012", invalidMsg("ecs_name")],
    ["missing host", "chan-ip", { member_group_name: "pool" }, 400, "APIG.2001", missingMsg("host")],
    ["bad host", "chan-ip", { host: "10.0.0.256" }, 400, "APIG.2015", "Invalid IP address"],
    [
      "unknown group",
      "chan-ecs",
      { ...ecs, member_group_name: "nope" },
      400,
      "APIG.2012",
      invalidMsg("member_group_name"),
    ],
  ])("rejects %s and writes nothing", async (_name, channel, bad, status, code, msg) => {
    const before = members(emu, channel);
    const valid = channel === "chan-ecs" ? { ...ecs, ecs_id: "srv-2" } : { host: "10.0.0.9" };
    const res = await add(channel, { members: [valid, bad] });
    expect(res.status).toBe(status);
    expect(res.body).toEqual({ error_code: code, error_msg: msg });
    expect(members(emu, channel)).toEqual(before);
  });

  it("takes Chinese characters in ecs_name but no other letter beyond ASCII, and rejects an empty members list", async () => {
    expect((await add("chan-ecs", { members: [{ ...ecs, ecs_name: "服务器-1" }] })).status).toBe(201);
    for (const name of ["wéb-1", "сервер", "サーバ", "web\u00a01", "x".repeat(65)]) {
      const refused = await add("chan-ecs", { members: [{ ...ecs, ecs_id: "srv-9", ecs_name: name }] });
      expect(refused.body, name).toEqual({ error_code: "APIG.2012", error_msg: invalidMsg("ecs_name") });
    }
    const empty = await add("chan-ecs", { members: [] });
    expect(empty.body).toEqual({ error_code: "APIG.2001", error_msg: missingMsg("members") });
  });

  it("refuses with 403 APIG.3110 beyond the member quota and writes nothing", async () => {
    const full = await add("chan-ip", { members: ipMembers(11) });
    expect(full.status).toBe(403);
    expect(full.body).toEqual({
      error_code: "APIG.3110",
      error_msg: "The number of cloud servers in the VPC channel exceeds the maximum allowed limit",
    });
    expect(members(emu, "chan-ip")).toHaveLength(0);
    expect((await add("chan-ip", { members: ipMembers(10) })).status).toBe(201);
    // Updating existing members does not count against the quota; one more new member does.
    expect((await add("chan-ip", { members: ipMembers(10).map((m) => ({ ...m, weight: 4 })) })).status).toBe(
      201,
    );
    expect((await add("chan-ip", { members: [{ host: "10.9.9.9" }] })).status).toBe(403);
    emu.control.setOptions({ memberQuota: 11 });
    expect((await add("chan-ip", { members: [{ host: "10.9.9.9" }] })).status).toBe(201);
  });

  it("pages 45 members with limit 20 into 20 + 20 + 5, sorted by create_time then id", async () => {
    emu.control.setOptions({ memberQuota: 1000 });
    for (let i = 0; i < 45; i += 15) {
      const batch = ipMembers(45).slice(i, i + 15);
      expect((await add("chan-ip", { members: batch })).status).toBe(201);
    }
    const pages = [];
    for (const offset of [0, 20, 40]) {
      const res = await call(emu, "GET", `${ROMA}/chan-ip/members`, {
        query: { offset: String(offset), limit: "20" },
      });
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(45);
      pages.push(res.body);
    }
    expect(pages.map((p) => p.size)).toEqual([20, 20, 5]);
    const all: VpcMemberInfo[] = pages.flatMap((p) => p.members);
    expect(new Set(all.map((m) => m.id)).size).toBe(45);
    const sorted = [...all].sort(
      (a, b) => Date.parse(a.create_time) - Date.parse(b.create_time) || a.id.localeCompare(b.id),
    );
    expect(all).toEqual(sorted);
    expect(all.map((m) => m.host)).toEqual(ipMembers(45).map((m) => m.host));
  });

  it("clamps limit and offset and pages hundreds of members", async () => {
    const many = ipMembers(620).map((m) => ({ ...m, host: String(m.host) }));
    emu.control.load({
      gateways: [
        {
          instance_id: "roma-1",
          channels: [
            {
              id: "big",
              member_type: "ip",
              port: 80,
              member_groups: [{ member_group_name: "pool" }],
              members: many,
            },
          ],
        },
      ],
    });
    const get = (query: Record<string, string>) => call(emu, "GET", `${ROMA}/big/members`, { query });
    expect((await get({})).body.size).toBe(20);
    expect((await get({ limit: "0" })).body.size).toBe(20);
    expect((await get({ limit: "-3" })).body.size).toBe(20);
    const capped = await get({ limit: "1000" });
    expect(capped.body).toMatchObject({ size: 500, total: 620 });
    const rest = await get({ limit: "500", offset: "500" });
    expect(rest.body.size).toBe(120);
    expect((await get({ offset: "-5", limit: "3" })).body.members).toEqual(capped.body.members.slice(0, 3));
    const ids = new Set([...capped.body.members, ...rest.body.members].map((m: VpcMemberInfo) => m.id));
    expect(ids.size).toBe(620);
  });

  it("filters by member_group_name (substring unless precise_search names it) and member_group_id", async () => {
    await add("chan-ecs", { members: [{ ...ecs }] });
    const sub = await call(emu, "GET", `${ROMA}/chan-ecs/members`, { query: { member_group_name: "the" } });
    expect(sub.body.members.map((m: VpcMemberInfo) => m.member_group_name)).toEqual(["other"]);
    const exact = await call(emu, "GET", `${ROMA}/chan-ecs/members`, {
      query: { member_group_name: "the", precise_search: "member_group_name" },
    });
    expect(exact.body.total).toBe(0);
    const groupId =
      members(emu, "chan-ecs").find((m) => m.member_group_name === "web")?.member_group_id ?? "";
    const byId = await call(emu, "GET", `${ROMA}/chan-ecs/members`, { query: { member_group_id: groupId } });
    expect(byId.body.members.map((m: VpcMemberInfo) => m.ecs_id)).toEqual(["srv-1"]);
  });

  it("deletes a member with 204 and answers 404 APIG.3024 the second time", async () => {
    const id = members(emu, "chan-ecs")[0]?.id ?? "";
    const del = await call(emu, "DELETE", `${ROMA}/chan-ecs/members/${id}`);
    expect(del.status).toBe(204);
    expect(del.body).toBeUndefined();
    const again = await call(emu, "DELETE", `${ROMA}/chan-ecs/members/${id}`);
    expect(again.status).toBe(404);
    expect(again.body).toEqual({
      error_code: "APIG.3024",
      error_msg: `The VPC instance does not exist,id:${id}`,
    });
  });

  it("batch-disables and batch-enables; an unknown id changes nothing", async () => {
    const added = await add("chan-ip", { members: ipMembers(3) });
    const ids: string[] = added.body.members.map((m: VpcMemberInfo) => m.id);
    const disable = await call(emu, "POST", `${ROMA}/chan-ip/members/batch-disable`, {
      body: { member_ids: ids.slice(0, 2) },
    });
    expect(disable.status).toBe(204);
    expect(members(emu, "chan-ip").map((m) => m.status)).toEqual([2, 2, 1]);
    const unknown = await call(emu, "POST", `${ROMA}/chan-ip/members/batch-enable`, {
      body: { member_ids: [ids[0], "nope"] },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error_code).toBe("APIG.3024");
    expect(members(emu, "chan-ip").map((m) => m.status)).toEqual([2, 2, 1]);
    expect(
      (await call(emu, "POST", `${ROMA}/chan-ip/members/batch-enable`, { body: { member_ids: ids } })).status,
    ).toBe(204);
    expect(members(emu, "chan-ip").map((m) => m.status)).toEqual([1, 1, 1]);
    const missing = await call(emu, "POST", `${ROMA}/chan-ip/members/batch-disable`, { body: {} });
    expect(missing.body).toEqual({ error_code: "APIG.2001", error_msg: missingMsg("member_ids") });
  });

  it("gives APIG members a health_status that the control API can change", async () => {
    const res = await add("chan-apig", { members: [{ ...ecs }] }, APIG);
    expect(res.body.members[0].health_status).toBe("healthy");
    emu.control.setOptions({ defaultMemberHealth: "unknown" });
    const second = await add(
      "chan-apig",
      { members: [{ ...ecs, ecs_id: "srv-2", ecs_name: "web-2" }] },
      APIG,
    );
    expect(second.body.members[0].health_status).toBe("unknown");
    emu.control.setMemberHealth({
      instance_id: "apig-1",
      vpc_channel_id: "chan-apig",
      ecs_id: "srv-2",
      health_status: "unhealthy",
    });
    const list = await call(emu, "GET", `${APIG}/chan-apig/members`);
    expect(list.body.members.map((m: VpcMemberInfo) => m.health_status)).toEqual(["healthy", "unhealthy"]);
  });

  it("answers 404 APIG.3030 for a ROMA instance on an APIG path and APIG.3023 for an unknown channel", async () => {
    const wrongFamily = await call(emu, "GET", `/v2/${PROJECT}/apigw/instances/roma-1/vpc-channels/chan-ecs`);
    expect(wrongFamily.status).toBe(404);
    expect(wrongFamily.body).toEqual({
      error_code: "APIG.3030",
      error_msg: "The instance does not exist;id:roma-1",
    });
    const reverse = await call(emu, "GET", `/v2/${PROJECT}/apic/instances/apig-1/vpc-channels/chan-apig`);
    expect(reverse.body.error_code).toBe("APIG.3030");
    const noChannel = await call(emu, "GET", `${ROMA}/chan-none/members`);
    expect(noChannel.body).toEqual({
      error_code: "APIG.3023",
      error_msg: "The VPC channel does not exist,id:chan-none",
    });
  });
});

describe("PUT VPC channel", () => {
  const base = { name: "web", port: 8080, balance_strategy: 1, member_type: "ecs" };
  const put = (body: unknown) => call(emu, "PUT", `${ROMA}/chan-ecs`, { body });

  beforeEach(async () => {
    await call(emu, "POST", `${ROMA}/chan-ecs/members`, {
      body: { members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web" }] },
    });
  });

  it("keeps listed groups with their ids and deletes unlisted groups with their members", async () => {
    const before = emu.control.state().gateways[0]?.channels[0];
    const webId = before?.member_groups.find((g) => g.member_group_name === "web")?.member_group_id;
    const res = await put({
      ...base,
      member_groups: [{ member_group_name: "web" }, { member_group_name: "fresh" }],
    });
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty("members");
    const groups = res.body.member_groups as Array<{ member_group_name: string; member_group_id: string }>;
    expect(groups.map((g) => g.member_group_name)).toEqual(["web", "fresh"]);
    expect(groups[0]?.member_group_id).toBe(webId);
    expect(members(emu, "chan-ecs").map((m) => m.ecs_id)).toEqual(["srv-1"]);
    expect(emu.control.calls().at(-1)?.traps).toEqual(["member_groups_deleted"]);
  });

  it("treats an absent member_groups as empty: every group and its members go, and the call is flagged", async () => {
    const res = await put({ ...base, members: [] });
    expect(res.status).toBe(200);
    expect(res.body.member_groups).toEqual([]);
    expect(members(emu, "chan-ecs")).toEqual([]);
    expect(emu.control.calls().at(-1)?.traps).toEqual(["member_groups_absent", "member_groups_deleted"]);
  });

  it("leaves members alone when members is absent, replaces them when it is not empty", async () => {
    const groups = [{ member_group_name: "web" }, { member_group_name: "other" }];
    const kept = await put({ ...base, port: 8081, balance_strategy: 2, member_groups: groups });
    expect(kept.body).toMatchObject({ port: 8081, balance_strategy: 2 });
    expect(members(emu, "chan-ecs")).toHaveLength(2);
    expect(emu.control.calls().at(-1)?.traps).toBeUndefined();

    const srv1 = members(emu, "chan-ecs").find((m) => m.ecs_id === "srv-1");
    await put({
      ...base,
      member_groups: groups,
      members: [
        { ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web", weight: 4 },
        { ecs_id: "srv-2", ecs_name: "web-2", member_group_name: "web" },
      ],
    });
    const after = members(emu, "chan-ecs");
    expect(after.map((m) => m.ecs_id)).toEqual(["srv-1", "srv-2"]);
    expect(after[0]).toMatchObject({ id: srv1?.id, weight: 4 });
    expect(emu.control.calls().at(-1)?.traps).toEqual(["members_replaced"]);
  });

  it("replaces the health check config", async () => {
    const health = {
      protocol: "HTTP",
      path: "/health",
      http_code: "200-299",
      threshold_normal: 2,
      threshold_abnormal: 3,
      time_interval: 10,
      timeout: 5,
    };
    const res = await put({
      ...base,
      member_groups: [{ member_group_name: "web" }, { member_group_name: "other" }],
      vpc_health_config: health,
    });
    expect(res.status).toBe(200);
    expect(res.body.vpc_health_config).toEqual(health);
    expect((await call(emu, "GET", `${ROMA}/chan-ecs`)).body.vpc_health_config).toEqual(health);
  });

  const health = {
    protocol: "TCP",
    threshold_normal: 2,
    threshold_abnormal: 2,
    time_interval: 10,
    timeout: 5,
  };
  it.each([
    ["missing name", { ...base, name: undefined }, "APIG.2001", "name"],
    ["name starting with a digit", { ...base, name: "1web" }, "APIG.2012", "name"],
    ["name with a dot on ROMA", { ...base, name: "web.a" }, "APIG.2012", "name"],
    ["port 0", { ...base, port: 0 }, "APIG.2004", "port"],
    ["balance_strategy 5", { ...base, balance_strategy: 5 }, "APIG.2004", "balance_strategy"],
    ["member_type change", { ...base, member_type: "ip" }, "APIG.2012", "member_type"],
    ["bad protocol", { ...base, vpc_health_config: { ...health, protocol: "UDP" } }, "APIG.2012", "protocol"],
    // The API's enum is upper-case (the official SDKs' `VpcHealthConfig` model).
    [
      "lower-case protocol",
      { ...base, vpc_health_config: { ...health, protocol: "tcp" } },
      "APIG.2012",
      "protocol",
    ],
    [
      "threshold 11",
      { ...base, vpc_health_config: { ...health, threshold_normal: 11 } },
      "APIG.2004",
      "threshold_normal",
    ],
    [
      "interval 4",
      { ...base, vpc_health_config: { ...health, time_interval: 4 } },
      "APIG.2004",
      "time_interval",
    ],
    [
      "timeout >= interval",
      { ...base, vpc_health_config: { ...health, timeout: 10 } },
      "APIG.2004",
      "timeout",
    ],
    [
      "http without path",
      { ...base, vpc_health_config: { ...health, protocol: "HTTP", http_code: "200" } },
      "APIG.2001",
      "path",
    ],
    [
      "http without http_code",
      { ...base, vpc_health_config: { ...health, protocol: "HTTPS", path: "/" } },
      "APIG.2001",
      "http_code",
    ],
    [
      "group weight 101",
      { ...base, member_groups: [{ member_group_name: "web", member_group_weight: 101 }] },
      "APIG.2004",
      "member_group_weight",
    ],
    [
      "bad member",
      { ...base, member_groups: [{ member_group_name: "web" }], members: [{ ecs_id: "srv-1" }] },
      "APIG.2001",
      "ecs_name",
    ],
  ])("rejects %s with 400 and changes nothing", async (_name, body, code, param) => {
    const before = emu.control.state();
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe(code);
    expect(res.body.error_msg).toMatch(new RegExp(`(parameterName|parameter name):${param}\\b`));
    expect(emu.control.state()).toEqual(before);
  });

  it("accepts a dot in an APIG channel name", async () => {
    const res = await call(emu, "PUT", `${APIG}/chan-apig`, {
      body: { ...base, name: "apig.web.v2", member_groups: [{ member_group_name: "web" }] },
    });
    expect(res.status).toBe(200);
  });
});

/**
 * The narrow channel-setup APIs (official SDKs: GenReqDefForCreateMemberGroup and
 * GenReqDefForUpdateHealthCheck in services/roma/v2/roma_meta.go and services/apig/v2/apig_meta.go;
 * bodies MemberGroupCreateBatch and VpcHealthConfig in their model/ directories).
 */
describe("POST member-groups (add-or-update by name)", () => {
  const post = (body: unknown, base = ROMA, channel = "chan-ecs") =>
    call(emu, "POST", `${base}/${channel}/member-groups`, { body });
  const groups = (channelId = "chan-ecs") =>
    emu.control
      .state()
      .gateways.flatMap((g) => g.channels)
      .find((c) => c.id === channelId)!.member_groups;

  it("creates a missing group, touching no other group and no member", async () => {
    const before = emu.control.state().gateways[0]!.channels[0]!;
    const res = await post({ member_groups: [{ member_group_name: "blue", member_group_weight: 10 }] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      size: 1,
      total: 1,
      member_groups: [{ member_group_name: "blue", member_group_weight: 10, member_group_remark: "" }],
    });
    expect(res.body.member_groups[0].member_group_id).toMatch(/^[0-9a-f]{32}$/);
    const after = emu.control.state().gateways[0]!.channels[0]!;
    expect(after.member_groups.slice(0, 2)).toEqual(before.member_groups);
    expect(after.member_groups.map((g) => g.member_group_name)).toEqual(["web", "other", "blue"]);
    expect(after.members).toEqual(before.members);
    expect(emu.control.calls().at(-1)?.traps).toBeUndefined();
  });

  it("gives a group a member_group_weight only when a request sets one, and keeps it when a later one does not", async () => {
    const res = await post({ member_groups: [{ member_group_name: "plain" }] });
    expect(res.status).toBe(201);
    expect(res.body.member_groups[0]).not.toHaveProperty("member_group_weight");
    expect(groups().find((g) => g.member_group_name === "plain")).not.toHaveProperty("member_group_weight");
    await post({ member_groups: [{ member_group_name: "plain", member_group_weight: 4 }] });
    await post({ member_groups: [{ member_group_name: "plain", member_group_remark: "ops" }] });
    expect(groups().find((g) => g.member_group_name === "plain")).toMatchObject({
      member_group_weight: 4,
      member_group_remark: "ops",
    });
  });

  it("updates a group of that name in place: same id, its members kept", async () => {
    const other = groups().find((g) => g.member_group_name === "other")!;
    const res = await post({ member_groups: [{ member_group_name: "other", member_group_remark: "ops" }] });
    expect(res.status).toBe(201);
    const after = groups().find((g) => g.member_group_name === "other")!;
    expect(after).toMatchObject({ member_group_id: other.member_group_id, member_group_remark: "ops" });
    expect(groups().map((g) => g.member_group_name)).toEqual(["web", "other"]);
    expect(members(emu, "chan-ecs").map((m) => m.ecs_id)).toEqual(["srv-other"]);
  });

  it("keeps a group's remark and returns it in the channel read (MemberGroupInfo.member_group_remark)", async () => {
    const res = await post({ member_groups: [{ member_group_name: "blue", member_group_remark: "x=y" }] });
    expect(res.status).toBe(201);
    expect(res.body.member_groups[0]).toMatchObject({
      member_group_name: "blue",
      member_group_remark: "x=y",
    });
    const shown = await call(emu, "GET", `${ROMA}/chan-ecs`);
    expect(shown.body.member_groups).toContainEqual(
      expect.objectContaining({ member_group_name: "blue", member_group_remark: "x=y" }),
    );
  });

  it("works on dedicated APIG (/apigw/) channels too", async () => {
    const res = await post({ member_groups: [{ member_group_name: "canary" }] }, APIG, "chan-apig");
    expect(res.status).toBe(201);
    expect(groups("chan-apig").map((g) => g.member_group_name)).toEqual(["web", "canary"]);
  });

  it.each([
    ["no member_groups", {}, "APIG.2001", "member_groups"],
    ["an empty list", { member_groups: [] }, "APIG.2001", "member_groups"],
    [
      "a name of 2 characters",
      { member_groups: [{ member_group_name: "ab" }] },
      "APIG.2012",
      "member_group_name",
    ],
    [
      "a name starting with a digit",
      { member_groups: [{ member_group_name: "1web" }] },
      "APIG.2012",
      "member_group_name",
    ],
    [
      "a name of 65 characters",
      { member_groups: [{ member_group_name: `g${"x".repeat(64)}` }] },
      "APIG.2012",
      "member_group_name",
    ],
    [
      "a name twice",
      { member_groups: [{ member_group_name: "blue" }, { member_group_name: "blue" }] },
      "APIG.2012",
      "member_group_name",
    ],
    [
      "weight 101",
      { member_groups: [{ member_group_name: "blue", member_group_weight: 101 }] },
      "APIG.2004",
      "member_group_weight",
    ],
    [
      "weight -1",
      { member_groups: [{ member_group_name: "blue", member_group_weight: -1 }] },
      "APIG.2004",
      "member_group_weight",
    ],
  ])("rejects %s with 400 and changes nothing", async (_name, body, code, param) => {
    const before = emu.control.state();
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe(code);
    expect(res.body.error_msg).toMatch(new RegExp(`(parameterName|parameter name):${param}\\b`));
    expect(emu.control.state()).toEqual(before);
  });

  it("accepts weights 0 and 100 and a 64-character name", async () => {
    const res = await post({
      member_groups: [
        { member_group_name: "zero", member_group_weight: 0 },
        { member_group_name: `g${"x".repeat(63)}`, member_group_weight: 100 },
      ],
    });
    expect(res.status).toBe(201);
  });

  it("refuses an unsigned or tampered request like every other route", async () => {
    const unsigned = await fetch(`${emu.url}${ROMA}/chan-ecs/member-groups`, {
      method: "POST",
      headers: { "X-Project-Id": PROJECT, "Content-Type": "application/json" },
      body: JSON.stringify({ member_groups: [{ member_group_name: "blue" }] }),
    });
    expect(unsigned.status).toBe(401);
    const tampered = await call(emu, "POST", `${ROMA}/chan-ecs/member-groups`, {
      body: { member_groups: [{ member_group_name: "blue" }] },
      tamper: (sent) => {
        sent.body = JSON.stringify({ member_groups: [{ member_group_name: "evil" }] });
      },
    });
    expect(tampered.status).toBe(401);
    expect(groups().map((g) => g.member_group_name)).toEqual(["web", "other"]);
  });

  it("is a channel write: it overlaps no other write of the channel", async () => {
    emu.control.setOptions({ latencyMs: 100 });
    const first = post({ member_groups: [{ member_group_name: "blue" }] });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = call(emu, "PUT", `${ROMA}/chan-ecs/health-config`, {
      body: { protocol: "TCP", threshold_normal: 2, threshold_abnormal: 2, time_interval: 10, timeout: 5 },
    });
    const [a, b] = await Promise.all([first, second]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(500);
    expect(b.body.error_code).toBe("APIG.9999");
  });
});

describe("PUT health-config", () => {
  const health = {
    protocol: "HTTP",
    path: "/ready",
    method: "GET",
    port: 8081,
    http_code: "200-299",
    threshold_normal: 2,
    threshold_abnormal: 3,
    time_interval: 10,
    timeout: 5,
    enable_client_ssl: false,
  };
  const put = (body: unknown, base = ROMA, channel = "chan-ecs") =>
    call(emu, "PUT", `${base}/${channel}/health-config`, { body });

  it("replaces the health check alone: settings, groups and members stay", async () => {
    const before = emu.control.state().gateways[0]!.channels[0]!;
    const res = await put(health);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ ...health, vpc_channel_id: "chan-ecs" });
    const after = emu.control.state().gateways[0]!.channels[0]!;
    expect(after).toEqual({ ...before, vpc_health_config: health });
    expect((await call(emu, "GET", `${ROMA}/chan-ecs`)).body.vpc_health_config).toEqual(health);
    const tcp = { protocol: "TCP", threshold_normal: 1, threshold_abnormal: 1, time_interval: 5, timeout: 2 };
    expect((await put(tcp, APIG, "chan-apig")).status).toBe(200);
    expect(emu.control.state().gateways[1]!.channels[0]!.vpc_health_config).toEqual(tcp);
  });

  it.each([
    ["no protocol", { ...health, protocol: undefined }, "APIG.2001", "protocol"],
    ["protocol UDP", { ...health, protocol: "UDP" }, "APIG.2012", "protocol"],
    ["threshold_normal 0", { ...health, threshold_normal: 0 }, "APIG.2004", "threshold_normal"],
    ["threshold_abnormal 11", { ...health, threshold_abnormal: 11 }, "APIG.2004", "threshold_abnormal"],
    ["time_interval 301", { ...health, time_interval: 301 }, "APIG.2004", "time_interval"],
    ["timeout 1", { ...health, timeout: 1 }, "APIG.2004", "timeout"],
    ["timeout not below time_interval", { ...health, timeout: 10 }, "APIG.2004", "timeout"],
    ["port 65536", { ...health, port: 65536 }, "APIG.2004", "port"],
    ["method POST", { ...health, method: "POST" }, "APIG.2012", "method"],
    ["HTTP without path", { ...health, path: undefined }, "APIG.2001", "path"],
    ["HTTP without http_code", { ...health, http_code: undefined }, "APIG.2001", "http_code"],
    ["http_code 600", { ...health, http_code: "200,600" }, "APIG.2012", "http_code"],
    ["enable_client_ssl as text", { ...health, enable_client_ssl: "yes" }, "APIG.2012", "enable_client_ssl"],
  ])("rejects %s with 400 and changes nothing", async (_name, body, code, param) => {
    const before = emu.control.state();
    const res = await put(body);
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe(code);
    expect(res.body.error_msg).toMatch(new RegExp(`(parameterName|parameter name):${param}\\b`));
    expect(emu.control.state()).toEqual(before);
  });

  it("answers 404 for a channel that does not exist", async () => {
    const res = await put(health, ROMA, "chan-none");
    expect(res.status).toBe(404);
    expect(res.body.error_code).toBe("APIG.3023");
  });
});

describe("afterNextCall (an actor between two client calls)", () => {
  it("runs once, after the matching call's handler and before its answer", async () => {
    const seen: number[] = [];
    emu.control.afterNextCall({ method: "GET", path: "/vpc-channels/chan-ecs$" }, async () => {
      seen.push(members(emu, "chan-ecs").length);
      await call(emu, "POST", `${ROMA}/chan-ecs/member-groups`, {
        body: { member_groups: [{ member_group_name: "ops" }] },
      });
    });
    const first = await call(emu, "GET", `${ROMA}/chan-ecs`);
    // The answer was computed before the action: it does not show the group the action created.
    expect(first.body.member_groups.map((g: { member_group_name: string }) => g.member_group_name)).toEqual([
      "web",
      "other",
    ]);
    const second = await call(emu, "GET", `${ROMA}/chan-ecs`);
    expect(second.body.member_groups).toHaveLength(3);
    expect(seen).toEqual([1]);
  });

  it("hands the action the call's log entry, the state the call left visible", async () => {
    const seen: { seq: number; path: string; status: number; srv1: number }[] = [];
    emu.control.afterNextCall({ method: "POST", path: "/members$" }, (c) => {
      seen.push({
        seq: c.seq,
        path: c.path,
        status: c.status,
        srv1: members(emu, "chan-ecs").filter((m) => m.ecs_id === "srv-1").length,
      });
    });
    await call(emu, "POST", `${ROMA}/chan-ecs/members`, {
      body: { members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web" }] },
    });
    const logged = emu.control.calls().find((c) => c.method === "POST");
    expect(seen).toEqual([{ seq: logged!.seq, path: `${ROMA}/chan-ecs/members`, status: 0, srv1: 1 }]);
  });
});

describe("Auto Scaling", () => {
  const instances = (query: Record<string, string> = {}, group = "asg-1") =>
    call(emu, "GET", `${AS}/scaling_group_instance/${group}/list`, { query });
  const callback = (body: unknown) =>
    call(emu, "PUT", `${AS}/scaling_instance_hook/asg-1/callback`, { body });
  const instanceIds = () =>
    emu.control.state().scaling_groups[0]?.instances.map((i) => [i.instance_id, i.life_cycle_state]);

  it("lists instances with group fields, paging and filters", async () => {
    const all = await instances();
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total_number: 3, start_number: 0, limit: 20 });
    expect(all.body.scaling_group_instances[0]).toMatchObject({
      instance_id: "srv-1",
      instance_name: "web-1",
      scaling_group_id: "asg-1",
      scaling_group_name: "web",
      life_cycle_state: "INSERVICE",
      health_status: "NORMAL",
      protect_from_scaling_down: false,
    });
    expect(all.body.scaling_group_instances[0].scaling_configuration_id).toEqual(expect.any(String));
    const page = await instances({ start_number: "1", limit: "1" });
    expect(page.body.scaling_group_instances.map((i: { instance_id: string }) => i.instance_id)).toEqual([
      "srv-2",
    ]);
    expect(page.body.total_number).toBe(3);
    const waiting = await instances({ life_cycle_state: "PENDING_WAIT" });
    expect(waiting.body.total_number).toBe(1);
    const errors = await instances({ health_status: "ERROR" });
    expect(errors.body.scaling_group_instances[0].instance_id).toBe("srv-3");
  });

  it("rejects a limit outside 0-100 with AS.4001 and an unknown group with AS.2007", async () => {
    const bad = await instances({ limit: "101" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("AS.4001");
    const missing = await instances({}, "asg-none");
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: "AS.2007", message: "The AS group does not exist." } });
  });

  it("lists hanging instances and lifecycle hooks", async () => {
    const hanging = await call(emu, "GET", `${AS}/scaling_instance_hook/asg-1/list`);
    expect(hanging.body.instance_hanging_info).toHaveLength(2);
    expect(hanging.body.instance_hanging_info[0]).toMatchObject({
      instance_id: "srv-2",
      lifecycle_action_key: "key-launch-2",
      lifecycle_hook_name: "launch",
      lifecycle_hook_status: "HANGING",
      scaling_group_id: "asg-1",
      default_result: "ABANDON",
    });
    const one = await call(emu, "GET", `${AS}/scaling_instance_hook/asg-1/list`, {
      query: { instance_id: "srv-3" },
    });
    expect(
      one.body.instance_hanging_info.map((h: { lifecycle_action_key: string }) => h.lifecycle_action_key),
    ).toEqual(["key-terminate-3"]);
    const hooks = await call(emu, "GET", `${AS}/scaling_lifecycle_hook/asg-1/list`);
    expect(
      hooks.body.lifecycle_hooks.map((h: { lifecycle_hook_type: string }) => h.lifecycle_hook_type),
    ).toEqual(["INSTANCE_LAUNCHING", "INSTANCE_TERMINATING"]);
  });

  it("CONTINUE on a launch hook puts the instance in service; a repeat is AS.7042", async () => {
    expect(
      (await callback({ lifecycle_action_result: "CONTINUE", lifecycle_action_key: "key-launch-2" })).status,
    ).toBe(204);
    expect(instanceIds()).toContainEqual(["srv-2", "INSERVICE"]);
    const again = await callback({
      lifecycle_action_result: "CONTINUE",
      lifecycle_action_key: "key-launch-2",
    });
    expect(again.status).toBe(400);
    expect(again.body).toEqual({
      error: { code: "AS.7042", message: "The lifecycle hook callback object does not exist" },
    });
  });

  it("ABANDON on a launch hook removes the instance from the group", async () => {
    await callback({
      lifecycle_action_result: "ABANDON",
      instance_id: "srv-2",
      lifecycle_hook_name: "launch",
    });
    expect(instanceIds()?.map(([id]) => id)).toEqual(["srv-1", "srv-3"]);
  });

  it("completing a terminate hook removes the instance and its server", async () => {
    const res = await callback({
      lifecycle_action_result: "CONTINUE",
      instance_id: "srv-3",
      lifecycle_hook_name: "terminate",
    });
    expect(res.status).toBe(204);
    expect(instanceIds()?.map(([id]) => id)).toEqual(["srv-1", "srv-2"]);
    expect(emu.control.state().servers.map((s) => s.id)).not.toContain("srv-3");
  });

  it("EXTEND pushes the timeout by an hour and keeps the action HANGING", async () => {
    const before = emu.control.state().scaling_groups[0]?.hanging[0]?.timeout ?? "";
    await callback({ lifecycle_action_result: "EXTEND", lifecycle_action_key: "key-launch-2" });
    const after = emu.control.state().scaling_groups[0]?.hanging[0];
    expect(after?.lifecycle_hook_status).toBe("HANGING");
    expect(Date.parse(after?.timeout ?? "") - Date.parse(before)).toBe(3600_000);
    expect(instanceIds()).toContainEqual(["srv-2", "PENDING_WAIT"]);
  });

  it("a timed-out action gets its default result, as AS applies it (control hook-timeout)", async () => {
    // launch: the default ABANDON removes the instance; terminate: CONTINUE removes it and its server.
    expect(
      (
        await control(emu, "POST", "/hook-timeout", {
          scaling_group_id: "asg-1",
          lifecycle_action_key: "key-launch-2",
        })
      ).status,
    ).toBe(204);
    emu.control.timeOutHook("asg-1", "key-terminate-3");
    expect(instanceIds()?.map(([id]) => id)).toEqual(["srv-1"]);
    expect(emu.control.state().servers.map((s) => s.id)).not.toContain("srv-3");
    expect(emu.control.state().scaling_groups[0]?.hanging).toEqual([]);
    const gone = await control(emu, "POST", "/hook-timeout", {
      scaling_group_id: "asg-1",
      lifecycle_action_key: "key-launch-2",
    });
    expect(gone.status).toBe(404);
    const typo = await control(emu, "POST", "/hook-timeout", { scaling_group_id: "asg-1", key: "x" });
    expect(typo.status).toBe(400);
  });

  it("the key wins over instance_id, and an instance waits for its last hanging action", async () => {
    emu.control.addHangingHook({
      scaling_group_id: "asg-1",
      instance_id: "srv-2",
      lifecycle_hook_name: "terminate",
    });
    await callback({
      lifecycle_action_result: "CONTINUE",
      lifecycle_action_key: "key-launch-2",
      instance_id: "srv-3",
      lifecycle_hook_name: "terminate",
    });
    expect(instanceIds()).toContainEqual(["srv-3", "REMOVING_WAIT"]);
    expect(instanceIds()).toContainEqual(["srv-2", "PENDING_WAIT"]);
    await callback({
      lifecycle_action_result: "CONTINUE",
      instance_id: "srv-2",
      lifecycle_hook_name: "terminate",
    });
    expect(instanceIds()).toContainEqual(["srv-2", "INSERVICE"]);
  });

  it.each([
    ["no result", { lifecycle_action_key: "key-launch-2" }, "AS.7039"],
    ["a bad result", { lifecycle_action_result: "MAYBE", lifecycle_action_key: "key-launch-2" }, "AS.7034"],
    [
      "no key and no instance/hook pair",
      { lifecycle_action_result: "CONTINUE", instance_id: "srv-2" },
      "AS.7040",
    ],
    ["an unknown key", { lifecycle_action_result: "CONTINUE", lifecycle_action_key: "nope" }, "AS.7042"],
  ])("rejects a callback with %s", async (_name, body, code) => {
    const res = await callback(body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe(code);
  });
});

describe("ECS, SMN and FunctionGraph", () => {
  it("returns server details by id list, with faults for unknown ids", async () => {
    const res = await call(emu, "GET", `/v1/${PROJECT}/cloudservers/detail`, {
      query: { server_id: "srv-1,srv-x" },
    });
    expect(res.status).toBe(200);
    expect(res.body.count).toBe(2);
    expect(res.body.servers[0]).toEqual({
      id: "srv-1",
      name: "web-1",
      status: "ACTIVE",
      addresses: {
        "vpc-1": [{ version: "4", addr: "192.168.0.11", "OS-EXT-IPS:type": "fixed", primary: true }],
      },
      metadata: {},
      tags: [],
    });
    expect(res.body.servers[1]).toMatchObject({ id: "srv-x", fault: { code: 404 } });
    const tooMany = Array.from({ length: 101 }, (_, i) => `s${i}`).join(",");
    const bad = await call(emu, "GET", `/v1/${PROJECT}/cloudservers/detail`, {
      query: { server_id: tooMany },
    });
    expect(bad.status).toBe(400);
  });

  it("returns one server or 404 itemNotFound", async () => {
    const one = await call(emu, "GET", `/v1/${PROJECT}/cloudservers/srv-2`);
    expect(one.body.server).toMatchObject({ id: "srv-2", name: "web-2" });
    const none = await call(emu, "GET", `/v1/${PROJECT}/cloudservers/srv-x`);
    expect(none.status).toBe(404);
    expect(none.body.itemNotFound.code).toBe(404);
  });

  it("publishes to an SMN topic and stores the message", async () => {
    const path = `/v2/${PROJECT}/notifications/topics/${TOPIC}/publish`;
    const res = await call(emu, "POST", path, { body: { subject: "dead letter", message: '{"a":1}' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ request_id: expect.any(String), message_id: expect.any(String) });
    expect(emu.control.state().topics[0]?.messages).toEqual([
      {
        subject: "dead letter",
        message: '{"a":1}',
        message_id: res.body.message_id,
        time: expect.any(String),
      },
    ]);
    const missing = await call(emu, "POST", path, { body: { subject: "x" } });
    expect(missing.status).toBe(400);
    expect(missing.body.error_code).toBe("SMN.0004");
    const unknown = await call(emu, "POST", `/v2/${PROJECT}/notifications/topics/urn:smn:x:y:z/publish`, {
      body: { message: "m" },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error_code: "SMN.0011", error_msg: "Topic not found" });
  });

  it("refuses an SMN message over 256 KB and a subject over 512 bytes (the publish limits)", async () => {
    const path = `/v2/${PROJECT}/notifications/topics/${TOPIC}/publish`;
    const publish = (body: Record<string, unknown>) => call(emu, "POST", path, { body });
    // Exactly at the limits, counted in UTF-8 bytes: accepted.
    const atLimit = await publish({ subject: "é".repeat(256), message: "x".repeat(256 * 1024) });
    expect(atLimit.status).toBe(200);
    for (const body of [
      { subject: "s", message: "x".repeat(256 * 1024 + 1) },
      { subject: "s", message: "界".repeat(90_000) },
      { subject: "é".repeat(256) + "x", message: "m" },
    ]) {
      const res = await publish(body);
      expect(res.status).toBe(400);
      expect(res.body.error_code).toBe("SMN.0004");
    }
    expect(emu.control.state().topics[0]?.messages).toHaveLength(1);
  });

  it("accepts an asynchronous FunctionGraph invocation and stores the event", async () => {
    const event = { scaling_group_ids: ["asg-1"], dry_run: true };
    const res = await call(emu, "POST", `/v2/${PROJECT}/fgs/functions/${FUNCTION}/invocations-async`, {
      body: event,
    });
    expect(res.status).toBe(202);
    expect(res.body.request_id).toEqual(expect.any(String));
    expect(emu.control.state().functions[0]?.invocations).toEqual([
      { request_id: res.body.request_id, body: event, time: expect.any(String) },
    ]);
    const unknown = await call(emu, "POST", `/v2/${PROJECT}/fgs/functions/urn:fss:x/invocations-async`, {
      body: {},
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error_code: "FSS.0404", error_msg: "function not found" });
  });
});

describe("fault injection", () => {
  const list = () => call(emu, "GET", `${ROMA}/chan-ecs/members`);

  it("answers a status with headers once, then the real handler runs", async () => {
    emu.control.addFault({
      service: "gateway",
      method: "GET",
      path: "/members$",
      status: 429,
      headers: { "Retry-After": "1" },
    });
    const faulted = await list();
    expect(faulted.status).toBe(429);
    expect(faulted.headers.get("retry-after")).toBe("1");
    expect(faulted.body.error_code).toBe("APIG.0308");
    expect((await list()).status).toBe(200);
    expect(emu.control.calls().map((c) => [c.status, c.fault])).toEqual([
      [429, true],
      [200, false],
    ]);
  });

  it("matches on method, path and service, counts times, and 0 means forever", async () => {
    emu.control.addFault([
      { service: "as", status: 503 },
      { method: "POST", status: 500, body: "plain text", times: 2 },
      { path: "chan-ecs$", status: 502, times: 0 },
    ]);
    expect((await list()).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call(emu, "GET", `${ROMA}/chan-ecs`)).status).toBe(502);
    const post = () => fetch(`${emu.url}${ROMA}/chan-ecs/members`, { method: "POST" }).then((r) => r.status);
    expect(await post()).toBe(401);
    const signedPost = () =>
      call(emu, "POST", `${ROMA}/chan-ip/members`, { body: { members: [{ host: "10.1.1.1" }] } });
    await expect(signedPost()).rejects.toThrow(SyntaxError);
    await expect(signedPost()).rejects.toThrow(SyntaxError);
    expect((await signedPost()).status).toBe(201);
    expect((await call(emu, "GET", `${AS}/scaling_lifecycle_hook/asg-1/list`)).status).toBe(503);
    emu.control.clearFaults();
    expect((await call(emu, "GET", `${ROMA}/chan-ecs`)).status).toBe(200);
  });

  it("resets the connection", async () => {
    emu.control.addFault({ reset: true });
    await expect(list()).rejects.toThrow(TypeError);
    expect(emu.control.calls()[0]).toMatchObject({ status: 0, fault: true });
    expect((await list()).status).toBe(200);
  });

  it("answers 200 with a truncated JSON body", async () => {
    emu.control.addFault({ malformed: true });
    await expect(list()).rejects.toThrow(SyntaxError);
  });

  it("hangs until the client gives up", async () => {
    emu.control.addFault({ hang: true, path: "/members$" });
    const started = Date.now();
    await expect(
      call(emu, "GET", `${ROMA}/chan-ecs/members`, { signal: AbortSignal.timeout(200) }),
    ).rejects.toThrow(/aborted|timeout/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(emu.control.calls()[0]).toMatchObject({ status: 0, fault: true });
  });

  it("delays and then runs the real handler", async () => {
    emu.control.addFault({ delayMs: 150 });
    const started = Date.now();
    const res = await list();
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(145);
    expect(emu.control.calls()[0]).toMatchObject({ status: 200, fault: true });
  });

  it("applies a write and then loses its answer (afterApply: 504, or the connection reset)", async () => {
    const add = (ecs: string) =>
      call(emu, "POST", `${ROMA}/chan-ecs/members`, {
        body: { members: [{ ecs_id: ecs, ecs_name: ecs, member_group_name: "web" }] },
      });
    emu.control.addFault({ method: "POST", path: "/members$", afterApply: true, status: 504 });
    const lost = await add("srv-7");
    expect(lost.status).toBe(504);
    expect(members(emu, "chan-ecs").map((m) => m.ecs_id)).toContain("srv-7");
    emu.control.addFault({ method: "POST", path: "/members$", afterApply: true, reset: true });
    await expect(add("srv-8")).rejects.toThrow(TypeError);
    expect(members(emu, "chan-ecs").map((m) => m.ecs_id)).toContain("srv-8");
    expect(emu.control.calls().map((c) => [c.status, c.appliedStatus, c.fault])).toEqual([
      [504, 201, true],
      [0, 201, true],
    ]);
  });

  it("holds a write until another write to its channel is refused for the overlap (holdUntilOverlap)", async () => {
    const add = (ecs: string) =>
      call(emu, "POST", `${ROMA}/chan-ecs/members`, {
        body: { members: [{ ecs_id: ecs, ecs_name: ecs, member_group_name: "web" }] },
      });
    emu.control.addFault({ method: "POST", path: "/members$", holdUntilOverlap: true });
    const held = add("srv-7");
    while (emu.control.calls().length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    // Another channel is not held up; the same channel refuses the overlapping write, which releases the first.
    expect((await call(emu, "GET", `${ROMA}/chan-ecs/members`)).status).toBe(200);
    const refused = await add("srv-8");
    expect(refused.status).toBe(500);
    expect(refused.body).toEqual({ error_code: "APIG.9999", error_msg: "System error" });
    expect((await held).status).toBe(201);
    expect((await add("srv-8")).status).toBe(201);
    expect(() => emu.control.addFault({ holdUntilOverlap: true, status: 504 })).toThrow(/holdUntilOverlap/);
  });

  it("streams a huge body of exactly the size asked for: a members page whose one id is that long", async () => {
    emu.control.addFault({ hugeBody: 300_000, path: "/members$" });
    const res = await call(emu, "GET", `${ROMA}/chan-ecs/members`);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body).length).toBe(300_000);
    expect(res.body.members[0].id).toMatch(/^a+$/);
  });

  it("pages endlessly: the same page at every offset, the total one ahead of the reader", async () => {
    emu.control.addFault({ endlessPaging: true, path: "/members$", times: 0 });
    for (const offset of ["0", "1", "7"]) {
      const res = await call(emu, "GET", `${ROMA}/chan-ecs/members`, {
        query: { offset, member_group_name: "web" },
      });
      expect(res.body).toMatchObject({ total: Number(offset) + 2, members: [{ member_group_name: "web" }] });
    }
    emu.control.addFault({ endlessPaging: true, path: "/scaling_group_instance/" });
    const as = await call(emu, "GET", `${AS}/scaling_group_instance/asg-1/list`, {
      query: { start_number: "3" },
    });
    expect(as.body).toMatchObject({
      total_number: 5,
      scaling_group_instances: [{ instance_id: "endless-instance" }],
    });
  });

  it("echoes the request headers in a text 401", async () => {
    emu.control.addFault({ echoHeaders: true });
    const res = await fetch(`${emu.url}${ROMA}/chan-ecs`, {
      headers: AKSKSigner.sign(
        {
          endpoint: `${emu.url}${ROMA}/chan-ecs`,
          method: "GET",
          headers: { "X-Project-Id": emu.projectId },
          queryParams: {},
        },
        { getAk: () => AK, getSk: () => SK },
      ),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toMatch(/^authorization: SDK-HMAC-SHA256 Access=/m);
  });

  it("rejects a malformed fault", () => {
    expect(() => emu.control.addFault({ hugeBody: -1 })).toThrow(/hugeBody/);
    expect(() => emu.control.addFault({ path: "(" })).toThrow(/regular expression/);
    expect(() => emu.control.addFault({ times: -1 })).toThrow(/times/);
  });
});

describe("call log", () => {
  it("records every API call with its fields, never the signature or the secret key", async () => {
    await call(emu, "GET", `${ROMA}/chan-ecs/members`, { query: { member_group_name: "we b", limit: "5" } });
    await call(emu, "POST", `${ROMA}/chan-ecs/members`, {
      body: { members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web" }] },
    });
    await call(emu, "GET", `${AS}/scaling_group_instance/asg-1/list`, { sk: "WRONG" });
    await control(emu, "GET", "/state");
    const calls = emu.control.calls();
    expect(calls).toHaveLength(3);
    expect(calls[0]).toEqual({
      seq: expect.any(Number),
      time: expect.any(String),
      method: "GET",
      path: `${ROMA}/chan-ecs/members`,
      query: { member_group_name: "we b", limit: "5" },
      body: undefined,
      status: 200,
      service: "gateway",
      fault: false,
      headers: { "x-project-id": PROJECT },
    });
    expect(calls[1]).toMatchObject({
      method: "POST",
      status: 201,
      body: { members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web" }] },
    });
    expect(calls[2]).toMatchObject({ service: "as", status: 401 });
    expect(calls.map((c) => c.seq)).toEqual([...calls.map((c) => c.seq)].sort((a, b) => a - b));
    const text = JSON.stringify(calls);
    expect(text).not.toMatch(/Signature|SDK-HMAC|EMULATORSK/);
    emu.control.clearCalls();
    expect(emu.control.calls()).toEqual([]);
  });

  it("shows on a member DELETE the member as it was and since when it was disabled", async () => {
    const added = await call(emu, "POST", `${ROMA}/chan-ecs/members`, {
      body: { members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web" }] },
    });
    const id = added.body.members[0].id as string;
    const enabled = members(emu, "chan-ecs").find((m) => m.ecs_id === "srv-other")!;
    await call(emu, "DELETE", `${ROMA}/chan-ecs/members/${enabled.id}`);
    await call(emu, "POST", `${ROMA}/chan-ecs/members/batch-disable`, { body: { member_ids: [id] } });
    await call(emu, "DELETE", `${ROMA}/chan-ecs/members/${id}`);
    await call(emu, "DELETE", `${ROMA}/chan-ecs/members/${id}`);
    const [, deletedEnabled, disable, deletedDisabled, gone] = emu.control.calls();
    expect(deletedEnabled!.deleted).toEqual({ member: enabled });
    expect(deletedDisabled!.deleted).toEqual({
      member: expect.objectContaining({ id, ecs_id: "srv-1", status: 2 }),
      disabled_since: expect.any(String),
    });
    // Disabled by the batch-disable: after it arrived, before the delete did.
    const since = Date.parse(deletedDisabled!.deleted!.disabled_since!);
    expect(since).toBeGreaterThanOrEqual(Date.parse(disable!.time));
    expect(since).toBeLessThanOrEqual(Date.parse(deletedDisabled!.time));
    expect(gone).toMatchObject({ status: 404 });
    expect(gone!.deleted).toBeUndefined();
  });
});

describe("the clock (option now)", () => {
  it("stamps create times and the call log from the given clock, and checks signatures on the real one", async () => {
    let t = Date.parse("2030-01-01T00:00:00Z");
    const timed = await startEmulator({ now: () => t });
    try {
      timed.control.load(fixture());
      t += 60_000;
      const res = await call(timed, "POST", `${ROMA}/chan-ecs/members`, {
        body: { members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web", status: 2 }] },
      });
      expect(res.status).toBe(201);
      expect(res.body.members[0].create_time).toBe("2030-01-01T00:01:00.000Z");
      t += 5_000;
      await call(timed, "DELETE", `${ROMA}/chan-ecs/members/${res.body.members[0].id}`);
      const [post, del] = timed.control.calls();
      expect(post!.time).toBe("2030-01-01T00:01:00.000Z");
      expect(del).toMatchObject({ time: "2030-01-01T00:01:05.000Z", status: 204 });
      // Added disabled: disabled since it was added.
      expect(del!.deleted?.disabled_since).toBe("2030-01-01T00:01:00.000Z");
    } finally {
      await timed.close();
    }
  });
});

describe("control API", () => {
  it("drives state, faults, calls, health, instances, hanging actions and options over HTTP", async () => {
    expect((await control(emu, "POST", "/reset")).status).toBe(204);
    expect((await control(emu, "GET", "/state")).status).toBe(200);
    expect((await control(emu, "POST", "/state", fixture())).status).toBe(204);
    const state = await (await control(emu, "GET", "/state")).json();
    expect(state).toEqual(emu.control.state());
    expect((await control(emu, "POST", "/state", state)).status).toBe(204);
    expect(emu.control.state()).toEqual(state);

    expect((await control(emu, "POST", "/faults", [{ status: 503, times: 1 }])).status).toBe(204);
    expect((await call(emu, "GET", `${ROMA}/chan-ecs`)).status).toBe(503);
    expect((await control(emu, "POST", "/faults", { status: 503 })).status).toBe(204);
    expect((await control(emu, "DELETE", "/faults")).status).toBe(204);
    expect((await call(emu, "GET", `${ROMA}/chan-ecs`)).status).toBe(200);
    const calls = await (await control(emu, "GET", "/calls")).json();
    expect(calls).toHaveLength(2);
    expect((await control(emu, "DELETE", "/calls")).status).toBe(204);
    expect(emu.control.calls()).toEqual([]);

    await call(emu, "POST", `${APIG}/chan-apig/members`, {
      body: { members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web" }] },
    });
    const health = {
      instance_id: "apig-1",
      vpc_channel_id: "chan-apig",
      ecs_id: "srv-1",
      health_status: "unhealthy",
    };
    expect((await control(emu, "POST", "/member-health", health)).status).toBe(204);
    expect(members(emu, "chan-apig")[0]?.health_status).toBe("unhealthy");

    const instance = {
      scaling_group_id: "asg-1",
      instance_id: "srv-9",
      life_cycle_state: "PENDING_WAIT",
      ipv4: "192.168.0.19",
    };
    expect((await control(emu, "POST", "/instances", instance)).status).toBe(204);
    const hanging = await control(emu, "POST", "/hanging", {
      scaling_group_id: "asg-1",
      instance_id: "srv-9",
      lifecycle_hook_name: "launch",
    });
    expect(hanging.status).toBe(200);
    const entry = await hanging.json();
    expect(entry).toMatchObject({
      instance_id: "srv-9",
      lifecycle_hook_status: "HANGING",
      lifecycle_action_key: expect.any(String),
    });
    const detail = await call(emu, "GET", `/v1/${PROJECT}/cloudservers/srv-9`);
    expect(detail.body.server.addresses["vpc-1"][0].addr).toBe("192.168.0.19");
    expect((await control(emu, "DELETE", "/instances/asg-1/srv-9")).status).toBe(204);
    expect(emu.control.state().scaling_groups[0]?.instances.map((i) => i.instance_id)).not.toContain("srv-9");
    expect(emu.control.state().scaling_groups[0]?.hanging.map((h) => h.instance_id)).not.toContain("srv-9");

    expect((await control(emu, "POST", "/options", { memberQuota: 1 })).status).toBe(204);
    const over = await call(emu, "POST", `${ROMA}/chan-ecs/members`, {
      body: { members: [{ ecs_id: "srv-1", ecs_name: "web-1", member_group_name: "web" }] },
    });
    expect(over.status).toBe(403);
  });

  it("rejects bad control input with a clear message", async () => {
    const bad = await control(emu, "POST", "/state", { gateways: [{ instance_id: "r", kind: "aws" }] });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/gateways\[0\]\.kind/);
    expect((await control(emu, "POST", "/options", { latencyMs: -1 })).status).toBe(400);
    expect((await control(emu, "DELETE", "/instances/asg-1/nope")).status).toBe(404);
    expect((await control(emu, "GET", "/nothing")).status).toBe(404);
    expect(() =>
      emu.control.load({
        gateways: [
          { instance_id: "r", channels: [{ id: "c", member_type: "ip", members: [{ host: "nope" }] }] },
        ],
      }),
    ).toThrow(StateError);
    expect(() =>
      emu.control.load({
        gateways: [
          { instance_id: "r", channels: [{ id: "c", members: [{ ecs_id: "e", member_group_name: "g" }] }] },
        ],
      }),
    ).toThrow(/channels\[0\]\.members\[0\]: member_group_name "g"/);
    expect(() =>
      emu.control.addHangingHook({
        scaling_group_id: "asg-1",
        instance_id: "srv-1",
        lifecycle_hook_name: "nope",
      }),
    ).toThrow(/lifecycle hook "nope"/);
  });
});

describe("control API: settings read back, typos refused", () => {
  it("GET /options reads the settings back; an unknown key is refused, named, and changes nothing", async () => {
    const settings = await (await control(emu, "GET", "/options")).json();
    expect(settings).toMatchObject({ memberQuota: 10, latencyMs: 0, defaultMemberHealth: "healthy" });
    expect(Object.keys(settings).sort()).toEqual([
      "defaultMemberHealth",
      "latencyMs",
      "memberQuota",
      "pageSizeCap",
    ]);
    const typo = await control(emu, "POST", "/options", { memberQuta: 20, latencyMs: 5 });
    expect(typo.status).toBe(400);
    expect((await typo.json()).error).toBe(
      'unknown option key "memberQuta" (did you mean "memberQuota"?); known: memberQuota, latencyMs, defaultMemberHealth, pageSizeCap',
    );
    expect((await (await control(emu, "GET", "/options")).json()).latencyMs).toBe(0);
    expect((await control(emu, "POST", "/options", { memberQuota: 20 })).status).toBe(204);
    expect((await (await control(emu, "GET", "/options")).json()).memberQuota).toBe(20);
  });

  it("refuses unknown keys of faults, member health and scaling activity, naming them", async () => {
    const fault = await control(emu, "POST", "/faults", { stauts: 503 });
    expect(fault.status).toBe(400);
    expect((await fault.json()).error).toContain('unknown fault key "stauts" (did you mean "status"?)');
    // Nothing was armed.
    expect((await call(emu, "GET", `${ROMA}/chan-ecs`)).status).toBe(200);
    const health = await control(emu, "POST", "/member-health", {
      instance_id: "apig-1",
      vpc_channel_id: "chan-apig",
      health: "unhealthy",
    });
    expect(health.status).toBe(400);
    expect((await health.json()).error).toContain('unknown member health key "health"');
    const activity = await control(emu, "POST", "/scaling-activity", {
      scaling_group_id: "asg-1",
      activ: true,
    });
    expect(activity.status).toBe(400);
    expect((await activity.json()).error).toContain('"activ" (did you mean "active"?)');
  });
});

describe("per-channel write serialisation", () => {
  const addOne = (channel: string, host: string) =>
    call(emu, "POST", `${ROMA}/${channel}/members`, {
      body: { members: [{ host, member_group_name: "pool" }] },
    });

  it("fails the later of two overlapping writes to one channel with 500 APIG.9999", async () => {
    emu.control.setOptions({ latencyMs: 100 });
    const first = addOne("chan-ip", "10.0.0.1");
    await new Promise((resolve) => setTimeout(resolve, 30));
    const second = addOne("chan-ip", "10.0.0.2");
    const [a, b] = await Promise.all([first, second]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(500);
    expect(b.body).toEqual({ error_code: "APIG.9999", error_msg: "System error" });
    expect(members(emu, "chan-ip").map((m) => m.host)).toEqual(["10.0.0.1"]);
    expect((await addOne("chan-ip", "10.0.0.2")).status).toBe(201);
  });

  it("lets writes to different channels and reads of a busy channel overlap", async () => {
    emu.control.setOptions({ latencyMs: 80 });
    const [write, read, other] = await Promise.all([
      addOne("chan-ip", "10.0.0.1"),
      call(emu, "GET", `${ROMA}/chan-ip/members`),
      call(emu, "DELETE", `${ROMA}/chan-ecs/members/${members(emu, "chan-ecs")[0]?.id}`),
    ]);
    expect([write.status, read.status, other.status]).toEqual([201, 200, 204]);
  });
});

describe("scale", () => {
  it("pages 10,000 members and upserts into a full channel quickly", async () => {
    emu.control.setOptions({ memberQuota: 20_000 });
    emu.control.load({
      gateways: [
        {
          instance_id: "roma-1",
          channels: [
            {
              id: "big",
              member_type: "ip",
              port: 80,
              member_groups: [{ member_group_name: "pool" }],
              members: ipMembers(10_000),
            },
          ],
        },
      ],
    });
    const started = Date.now();
    let seen = 0;
    for (let offset = 0; ; offset += 500) {
      const page = await call(emu, "GET", `${ROMA}/big/members`, {
        query: { offset: String(offset), limit: "500" },
      });
      seen += page.body.size;
      if (page.body.size < 500) break;
    }
    expect(seen).toBe(10_000);
    const upsert = await call(emu, "POST", `${ROMA}/big/members`, {
      body: {
        members: [
          ...ipMembers(100).map((m) => ({ ...m, weight: 2 })),
          { host: "10.200.0.1", member_group_name: "pool" },
        ],
      },
    });
    expect(upsert.status).toBe(201);
    expect(members(emu, "big")).toHaveLength(10_001);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
