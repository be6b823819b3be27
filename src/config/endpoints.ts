/** Default public endpoints per service; sovereign partitions override them with *_ENDPOINT variables. */
export type Service = "roma" | "apig" | "as" | "ecs" | "smn" | "functiongraph";

const HOST_PREFIX: Record<Service, string> = {
  roma: "roma",
  apig: "apig",
  as: "as",
  ecs: "ecs",
  smn: "smn",
  functiongraph: "functiongraph",
};

/** Regions whose endpoint does not follow `https://<svc>.<region>.myhuaweicloud.com` (huawei-apis.md §5). */
const EXCEPTIONS: Partial<Record<Service, Record<string, string>>> = {
  as: { "ap-southeast-1": "https://as.ap-southeast-1.myhwclouds.com" },
  apig: { "eu-west-101": "https://apig.eu-west-101.myhuaweicloud.eu" },
};

export function defaultEndpoint(service: Service, region: string): string {
  return EXCEPTIONS[service]?.[region] ?? `https://${HOST_PREFIX[service]}.${region}.myhuaweicloud.com`;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Returns the normalised endpoint, or a reason it cannot be used. */
export function checkEndpoint(raw: string): { ok: true; url: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a URL" };
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK.test(url.hostname))) {
    return { ok: false, reason: "must use https:// (http:// is allowed only for loopback hosts)" };
  }
  if (url.search || url.hash || url.username || url.password) {
    return { ok: false, reason: "must not carry a query, fragment or credentials" };
  }
  return { ok: true, url: url.origin + url.pathname.replace(/\/+$/, "") };
}
