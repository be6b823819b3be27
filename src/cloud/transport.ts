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
  signal: AbortSignal;
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

const abortError = () => Object.assign(new Error("the request was aborted"), { name: "AbortError" });

/**
 * One request and its whole answer over Node's http/https modules. Not fetch: in Node 20 its first call
 * loads undici (~15 ms), and V8's background optimisation of undici's WebAssembly HTTP parser peaks at
 * ~25 MB of memory, a fifth of the smallest FunctionGraph instance (bench/, README "Performance").
 * Errors keep Node's shape: `AbortError` when `signal` fired, else an error with a `code` (ECONNRESET, …).
 */
export function exchange(url: URL, init: ExchangeInit): Promise<Exchange> {
  const { module, agent } = transportFor(url.protocol);
  return new Promise<Exchange>((resolve, reject) => {
    const headers =
      init.body === undefined
        ? init.headers
        : { ...init.headers, "Content-Length": String(Buffer.byteLength(init.body)) };
    const req = module.request(url, { method: init.method, headers, agent, signal: init.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const retryAfter = res.headers["retry-after"];
        resolve({
          status: res.statusCode ?? 0,
          statusText: res.statusMessage ?? "",
          retryAfter: typeof retryAfter === "string" ? retryAfter : null,
          text: Buffer.concat(chunks).toString("utf8"),
        });
      });
      res.on("close", () => {
        if (res.complete) return;
        reject(
          init.signal.aborted
            ? abortError()
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
