import type * as SignerModule from "@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner";
import type { Credentials } from "./credentials";

let signer: typeof SignerModule.AKSKSigner | undefined;

/**
 * sdk-core's signer, required on the first signature rather than at module load: it loads `node:crypto`
 * and `node:url`, the largest share of what requiring a bundle cost (a CPU profile of `require`).
 */
function akskSigner(): typeof SignerModule.AKSKSigner {
  signer ??= (require("@huaweicloud/huaweicloud-sdk-core/auth/AKSKSigner") as typeof SignerModule).AKSKSigner;
  return signer;
}

export interface SignInput {
  method: string;
  /** Origin and path, no query: `https://roma.cn-north-4.myhuaweicloud.com/v2/...`. */
  url: string;
  query: Record<string, string>;
  /** Serialised body, exactly the bytes that will be sent (the signer hashes JSON.stringify(data)). */
  body: unknown;
  projectId: string;
  credentials: Credentials;
}

/**
 * Returns every header to send: Content-Type, X-Project-Id, X-Security-Token, X-Sdk-Date and
 * Authorization. Signed as the official SDKs sign: Content-Type `application/json` on every call, GET
 * and DELETE included (every generated operation declares it, e.g. huaweicloud-sdk-nodejs-v3
 * EcsClient.js `listServersDetails` `contentType: "application/json"`, and HcClient.buildRequest sends
 * it as `content-type`), and the canonical URI is each path segment encoded once: the path must hold
 * no percent-escape, since sdk-core's signer encodes segments without decoding them (paths.ts).
 */
export function signRequest(input: SignInput): Record<string, string> {
  const path = new URL(input.url).pathname;
  if (path.includes("%")) {
    throw new Error(`refusing to sign ${path}: a percent-escaped path segment would be signed encoded twice`);
  }
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "X-Project-Id": input.projectId,
  };
  if (input.credentials.securityToken) headers["X-Security-Token"] = input.credentials.securityToken;
  const { ak, sk } = input.credentials;
  // sdk-core's signer alone: its ClientBuilder/axios stack costs ~550 KB and ~90 ms of cold start and logs
  // request headers (X-Security-Token included) on errors; the signer does neither.
  const signed: Record<string, string> = akskSigner().sign(
    {
      endpoint: input.url,
      method: input.method,
      headers,
      queryParams: input.query,
      data: input.body,
    } as never,
    { getAk: () => ak, getSk: () => sk } as never,
  );
  // Node sets Host itself from the URL; the signer put the same value in `host`.
  const { host: _host, ...toSend } = signed;
  return toSend;
}
