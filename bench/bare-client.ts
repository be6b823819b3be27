/**
 * The floor for the scale figures: the fewest calls a correct backfill of these bindings needs, each as
 * early as it can go, signed with the same signer over the same keep-alive http, and nothing else: no
 * validation, no planning, no logging, no retries. It knows the channels (each an `ecs` channel with its
 * member group), so per binding: the member list (first: the concurrent-add rule); then the instance
 * pages (one after another: the first says how many there are); then one POST per 100 members (one
 * after another: concurrent writes to one channel fail with APIG.9999). That is 5 calls in series for a
 * group of 200. Tag bindings (`readChannel`) must also prove their member group is the function's, so
 * their channel is read beside the instance pages. With `ratePerSecond` the calls are paced per service
 * by the functions' own token bucket (src/cloud/rate-limit.ts), as API_RATE_LIMIT paces them. What it
 * takes above calls × latency ÷ concurrency is the emulator's and the machine's share. Built into
 * bench/.out and run as a child process; the job arrives over IPC.
 */
import http from "node:http";
import { TokenBucket } from "../src/cloud/rate-limit";
import { signRequest } from "../src/cloud/signer";

interface Job {
  url: string;
  projectId: string;
  ak: string;
  sk: string;
  concurrency: number;
  bindings: {
    scaling_group_id: string;
    instance_id: string;
    vpc_channel_id: string;
    member_group_name: string;
  }[];
  asPage: number;
  addChunk: number;
  /** Tag bindings: read the channel too (the ownership check). */
  readChannel?: boolean;
  /** Calls per second per service, as API_RATE_LIMIT; unpaced when absent. */
  ratePerSecond?: number;
}

const agent = new http.Agent({ keepAlive: true });

let buckets: Map<string, TokenBucket> | undefined;

async function call(job: Job, method: string, path: string, query: Record<string, string>, body?: unknown) {
  if (job.ratePerSecond !== undefined) {
    buckets ??= new Map();
    const service = path.startsWith("/autoscaling-api/") ? "as" : "roma";
    let bucket = buckets.get(service);
    if (!bucket) {
      bucket = new TokenBucket(job.ratePerSecond, job.ratePerSecond);
      buckets.set(service, bucket);
    }
    await bucket.take();
  }
  const headers = signRequest({
    method,
    url: job.url + path,
    query,
    body,
    projectId: job.projectId,
    credentials: { ak: job.ak, sk: job.sk },
  });
  const text = body === undefined ? undefined : JSON.stringify(body);
  const qs = new URLSearchParams(Object.entries(query).sort(([a], [b]) => (a < b ? -1 : 1))).toString();
  return new Promise<unknown>((resolve, reject) => {
    const req = http.request(
      new URL(job.url + path + (qs ? `?${qs}` : "")),
      {
        method,
        agent,
        headers:
          text === undefined ? headers : { ...headers, "Content-Length": String(Buffer.byteLength(text)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const answer = Buffer.concat(chunks).toString();
          if ((res.statusCode ?? 0) >= 300)
            reject(new Error(`${method} ${path}: ${res.statusCode} ${answer}`));
          else resolve(answer === "" ? undefined : JSON.parse(answer));
        });
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

async function run(job: Job): Promise<number> {
  const p = job.projectId;
  const channel = (b: Job["bindings"][number]) =>
    `/v2/${p}/apic/instances/${b.instance_id}/vpc-channels/${b.vpc_channel_id}`;
  const started = performance.now();
  await mapLimit(job.bindings, job.concurrency, async (b) => {
    await call(job, "GET", `${channel(b)}/members`, {
      limit: "500",
      member_group_name: b.member_group_name,
      offset: "0",
      precise_search: "member_group_name",
    });
    const listInstances = async () => {
      const all: { instance_id: string; instance_name: string }[] = [];
      for (let start = 0; ; start += job.asPage) {
        const page = (await call(
          job,
          "GET",
          `/autoscaling-api/v1/${p}/scaling_group_instance/${b.scaling_group_id}/list`,
          { limit: String(job.asPage), start_number: String(start) },
        )) as {
          total_number: number;
          scaling_group_instances: { instance_id: string; instance_name: string }[];
        };
        all.push(...page.scaling_group_instances);
        if (start + page.scaling_group_instances.length >= page.total_number) return all;
      }
    };
    const [all, info] = await Promise.all([
      listInstances(),
      job.readChannel
        ? (call(job, "GET", channel(b), {}) as Promise<{ member_type: string; member_groups: unknown[] }>)
        : undefined,
    ]);
    if (info && (info.member_type !== "ecs" || info.member_groups.length === 0)) {
      throw new Error(`${b.vpc_channel_id}: the bench expects an ecs channel with its member group`);
    }
    for (let i = 0; i < all.length; i += job.addChunk) {
      const members = all.slice(i, i + job.addChunk).map((x) => ({
        ecs_id: x.instance_id,
        ecs_name: x.instance_name,
        weight: 1,
        is_backup: false,
        member_group_name: b.member_group_name,
      }));
      await call(job, "POST", `${channel(b)}/members`, {}, { members });
    }
  });
  return performance.now() - started;
}

process.once("message", (job: Job) => {
  run(job).then(
    (wallMs) => process.send?.({ wallMs }, undefined, {}, () => process.exit(0)),
    (err: Error) => process.send?.({ error: err.message }, undefined, {}, () => process.exit(0)),
  );
});
