import type { IncomingMessage, ServerResponse } from "node:http";
import { faultBody } from "./errors";
import { type ApiResponse, type QueryRecord, writeResponse } from "./http";
import { newHexId } from "./ids";
import type { Fault, Service } from "./types";
import { isRecord, unknownKeysProblem } from "./validators";

const SERVICES: readonly string[] = ["gateway", "as", "ecs", "smn", "fgs"];
/** Every field of a Fault (./types.ts). */
const FAULT_KEYS = [
  "id",
  "method",
  "path",
  "service",
  "times",
  "status",
  "body",
  "headers",
  "delayMs",
  "reset",
  "malformed",
  "hang",
  "afterApply",
  "holdUntilOverlap",
  "hugeBody",
  "endlessPaging",
  "echoHeaders",
] as const satisfies readonly (keyof Fault)[];
const MALFORMED_BODY = '{"size":1,"total":1,"members":[{"id":"5c868f02240847';

interface ArmedFault {
  fault: Fault & { id: string };
  pathRe: RegExp | undefined;
  /** Uses left; Infinity for `times: 0`. */
  remaining: number;
}

export class FaultError extends Error {
  override name = "FaultError";
}

/** Scripted faults, matched in the order they were added. */
export class FaultStore {
  private armed: ArmedFault[] = [];

  /** Validates and arms the faults; returns their ids. Throws FaultError on a malformed fault. */
  add(faults: Fault | Fault[]): string[] {
    const list = (Array.isArray(faults) ? faults : [faults]).map(validateFault);
    for (const f of list) this.armed.push(f);
    return list.map((f) => f.fault.id);
  }

  clear(): void {
    this.armed = [];
  }

  /** The first fault that matches and has uses left, consuming one use. */
  take(method: string, path: string, service: Service | "unknown"): Fault | undefined {
    const hit = this.armed.find(
      (a) =>
        a.remaining > 0 &&
        (a.fault.method === undefined || a.fault.method.toUpperCase() === method) &&
        (a.fault.service === undefined || a.fault.service === service) &&
        (a.pathRe === undefined || a.pathRe.test(path)),
    );
    if (!hit) return undefined;
    hit.remaining -= 1;
    if (hit.remaining <= 0) this.armed = this.armed.filter((a) => a !== hit);
    return hit.fault;
  }
}

/** True when the fault only slows the call down and the real handler still answers. */
export function isDelayOnly(fault: Fault): boolean {
  return (
    (fault.delayMs ?? 0) > 0 &&
    fault.status === undefined &&
    fault.body === undefined &&
    fault.headers === undefined &&
    !fault.reset &&
    !fault.malformed &&
    !fault.hang &&
    !fault.afterApply &&
    !fault.holdUntilOverlap &&
    fault.hugeBody === undefined &&
    !fault.endlessPaging &&
    !fault.echoHeaders
  );
}

/**
 * Carries out an answering fault on `res`. Resolves with the status written (0 when the socket was
 * destroyed or the client gave up on a hang) once the exchange is over.
 */
export function applyFault(
  fault: Fault,
  res: ServerResponse,
  service: Service | "unknown",
  requestId: string,
  call: { req: IncomingMessage; query: QueryRecord },
): Promise<number> {
  if (fault.hugeBody !== undefined) return streamHugeBody(res, fault.hugeBody, requestId);
  if (fault.endlessPaging) {
    writeResponse(res, { status: 200, body: endlessPage(call.req.url ?? "", call.query) }, requestId);
    return Promise.resolve(200);
  }
  if (fault.echoHeaders) {
    const status = fault.status ?? 401;
    const text = Object.entries(call.req.headers)
      .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(", ") : value}`)
      .join("\n");
    writeResponse(
      res,
      {
        status,
        body: `Unauthorized. The request was:\n${call.req.method} ${call.req.url}\n${text}\n`,
        headers: { "Content-Type": "text/plain", ...fault.headers },
      },
      requestId,
    );
    return Promise.resolve(status);
  }
  if (fault.hang) {
    return new Promise((resolve) => res.once("close", () => resolve(0)));
  }
  if (fault.reset) {
    const socket = res.socket;
    if (socket && typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
    else socket?.destroy();
    return Promise.resolve(0);
  }
  if (fault.malformed) {
    writeResponse(res, { status: 200, body: MALFORMED_BODY, headers: fault.headers ?? {} }, requestId);
    return Promise.resolve(200);
  }
  const status = fault.status ?? 500;
  const response: ApiResponse = {
    status,
    body: fault.body ?? faultBody(service, status),
    headers: fault.headers ?? {},
  };
  writeResponse(res, response, requestId);
  return Promise.resolve(status);
}

const FILLER = 64 * 1024;
let filler: Buffer | undefined;

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

/** Writes a `bytes`-long JSON members page chunk by chunk, as fast as the client reads, until it stops. */
async function streamHugeBody(res: ServerResponse, bytes: number, requestId: string): Promise<number> {
  const head = '{"total":1,"size":1,"members":[{"id":"';
  const tail = '"}]}';
  filler ??= Buffer.alloc(FILLER, "a");
  res.writeHead(200, { "Content-Type": "application/json;charset=UTF-8", "X-Request-Id": requestId });
  let left = Math.max(0, bytes - head.length - tail.length);
  res.write(head);
  while (left > 0 && !res.destroyed) {
    const chunk = left >= FILLER ? filler : filler.subarray(0, left);
    left -= chunk.length;
    if (!res.write(chunk)) await drainedOrClosed(res);
  }
  if (!res.destroyed) res.end(tail);
  return 200;
}

/** One page of an endless listing: the same item, and a total always one past where the reader is. */
function endlessPage(url: string, query: QueryRecord): unknown {
  const one = (key: string) => {
    const v = query[key];
    return Array.isArray(v) ? v[0] : v;
  };
  const offset = Number(one("offset") ?? one("start_number") ?? 0) || 0;
  if (url.includes("/scaling_group_instance/")) {
    return {
      total_number: offset + 2,
      scaling_group_instances: [
        { instance_id: "endless-instance", life_cycle_state: "INSERVICE", health_status: "NORMAL" },
      ],
    };
  }
  return {
    total: offset + 2,
    size: 1,
    members: [
      {
        id: "e0d1e55e0d1e55e0d1e55e0d1e55e0d1",
        host: "10.9.9.9",
        weight: 1,
        is_backup: false,
        member_group_name: one("member_group_name") ?? "",
        status: 1,
        ecs_id: "endless-instance",
        ecs_name: "endless",
      },
    ],
  };
}

function validateFault(input: unknown): ArmedFault {
  if (!isRecord(input)) throw new FaultError("a fault must be an object");
  const fault = input as Fault;
  const problems: string[] = [];
  const unknown = unknownKeysProblem(input, FAULT_KEYS, "fault");
  if (unknown) problems.push(unknown);
  const optionalType = (key: keyof Fault, type: string) => {
    if (fault[key] !== undefined && typeof fault[key] !== type) problems.push(`${key} must be a ${type}`);
  };
  optionalType("id", "string");
  optionalType("method", "string");
  optionalType("path", "string");
  optionalType("reset", "boolean");
  optionalType("malformed", "boolean");
  optionalType("hang", "boolean");
  optionalType("afterApply", "boolean");
  optionalType("holdUntilOverlap", "boolean");
  if (
    fault.holdUntilOverlap &&
    (fault.afterApply || fault.status !== undefined || fault.reset || fault.hang)
  ) {
    problems.push(
      "holdUntilOverlap holds a write that then completes normally: it takes no answer of its own",
    );
  }
  optionalType("endlessPaging", "boolean");
  optionalType("echoHeaders", "boolean");
  for (const key of ["times", "delayMs", "hugeBody"] as const) {
    const v = fault[key];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) problems.push(`${key} must be an integer >= 0`);
  }
  if (
    fault.status !== undefined &&
    !(Number.isInteger(fault.status) && fault.status >= 100 && fault.status <= 599)
  ) {
    problems.push("status must be an HTTP status code");
  }
  if (fault.service !== undefined && !SERVICES.includes(fault.service)) {
    problems.push(`service must be one of ${SERVICES.join(", ")}`);
  }
  if (
    fault.headers !== undefined &&
    !(isRecord(fault.headers) && Object.values(fault.headers).every((v) => typeof v === "string"))
  ) {
    problems.push("headers must map names to strings");
  }
  let pathRe: RegExp | undefined;
  if (typeof fault.path === "string") {
    try {
      pathRe = new RegExp(fault.path);
    } catch (error) {
      problems.push(`path is not a valid regular expression: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0)
    throw new FaultError(`Invalid fault ${JSON.stringify(input)}: ${problems.join("; ")}`);
  const times = fault.times ?? 1;
  return {
    fault: { ...fault, id: fault.id ?? newHexId() },
    pathRe,
    remaining: times === 0 ? Number.POSITIVE_INFINITY : times,
  };
}
