import type * as http from "node:http";

/** What the client needs of one HTTP answer. */
export interface Exchange {
  status: number;
  statusText: string;
  retryAfter: string | null;
  text: string;
}

export interface ExchangeInit {
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
  /** The whole exchange's time limit: past it the request is destroyed and the call rejects with a TimeoutError. */
  timeoutMs: number;
  /** Bytes of body read at most (default MAX_RESPONSE_BYTES). */
  maxBytes?: number;
}

/**
 * The largest answer read: well above the largest legitimate page (500 channel members or 100 ECS
 * servers in detail, an estimated few hundred KB), far below FunctionGraph's default 256 MB of memory.
 */
export const MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

/** The answer is larger than MAX_RESPONSE_BYTES: reading stopped there and the connection was dropped. */
export class ResponseTooLargeError extends Error {
  override readonly name = "ResponseTooLargeError";
  readonly code = "RESPONSE_TOO_LARGE";
  constructor(
    readonly status: number,
    readonly maxBytes: number,
  ) {
    super(`the answer (HTTP ${status}) is larger than ${maxBytes} bytes; reading stopped there`);
  }
}

interface Transport {
  module: typeof http;
  agent: http.Agent;
}

// One keep-alive agent per protocol for the life of the instance, so a warm instance reuses its
// connections across invocations.
const transports = new Map<string, Transport>();

function transportFor(protocol: string): Transport {
  let transport = transports.get(protocol);
  if (!transport) {
    // Required on first use, not at start (~5 ms of cold start): https in the cloud, http only for
    // loopback endpoints such as the emulator.
    const module: typeof http = protocol === "https:" ? require("node:https") : require("node:http");
    transport = { module, agent: new module.Agent({ keepAlive: true }) };
    transports.set(protocol, transport);
  }
  return transport;
}

const timeoutError = (ms: number) =>
  Object.assign(new Error(`no complete answer within ${ms} ms`), { name: "TimeoutError" });

/**
 * One request and its whole answer over Node's http/https modules. Not fetch: in Node 20 its first call
 * loads undici (~15 ms), and V8's background optimisation of undici's WebAssembly HTTP parser peaks at
 * ~25 MB of memory, a fifth of the smallest FunctionGraph instance (bench/, docs/performance.md).
 * Errors keep Node's shape: a `TimeoutError` when `timeoutMs` ran out, else an error with a `code`
 * (ECONNRESET, …). The time limit is one timer destroying the request, not an `AbortSignal.timeout`:
 * the signal, its listener and its clean-up on every request cost a visible share of the CPU a
 * 10,000-member backfill spends (a CPU profile of the scale bench shows it).
 * A body past `maxBytes` is not read further: the socket is destroyed (never reused) and the call
 * rejects with ResponseTooLargeError, so a hostile or broken server cannot grow the process's memory.
 */
export function exchange(url: URL, init: ExchangeInit): Promise<Exchange> {
  const { module, agent } = transportFor(url.protocol);
  return new Promise<Exchange>((settle, fail) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      req.destroy(timeoutError(init.timeoutMs));
    }, init.timeoutMs);
    // Like AbortSignal.timeout's timer, it alone does not keep the process running.
    timer.unref();
    const resolve = (answer: Exchange) => {
      clearTimeout(timer);
      settle(answer);
    };
    const reject = (err: unknown) => {
      clearTimeout(timer);
      fail(err);
    };
    const headers =
      init.body === undefined
        ? init.headers
        : { ...init.headers, "Content-Length": String(Buffer.byteLength(init.body)) };
    const maxBytes = init.maxBytes ?? MAX_RESPONSE_BYTES;
    const req = module.request(url, { method: init.method, headers, agent }, (res) => {
      const status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      const tooLarge = () => {
        chunks.length = 0;
        reject(new ResponseTooLargeError(status, maxBytes));
        // Destroying the request destroys its socket: nothing more is read, and it is not reused.
        req.destroy();
      };
      const declared = Number(res.headers["content-length"]);
      if (Number.isFinite(declared) && declared > maxBytes) return tooLarge();
      let size = 0;
      res.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return tooLarge();
        chunks.push(chunk);
      });
      res.on("error", reject);
      res.on("end", () => {
        const retryAfter = res.headers["retry-after"];
        resolve({
          status,
          statusText: res.statusMessage ?? "",
          retryAfter: typeof retryAfter === "string" ? retryAfter : null,
          text: Buffer.concat(chunks).toString("utf8"),
        });
      });
      res.on("close", () => {
        if (res.complete) return;
        reject(
          timedOut
            ? timeoutError(init.timeoutMs)
            : Object.assign(new Error("the connection closed before the answer was complete"), {
                code: "ECONNRESET",
              }),
        );
      });
    });
    req.on("error", reject);
    req.end(init.body);
  });
}
