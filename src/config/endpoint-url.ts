import { ENV_KEYS } from "./keys";
import { SDK_ENDPOINT_DOMAINS } from "./region-endpoints";

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
/**
 * A host name worth quoting back: dotted DNS labels. Anything else (one long label, say) could be a
 * credential pasted into the wrong variable, and the URL parser has lower-cased it past any scrubbing
 * by value, so it is described, never quoted.
 */
const QUOTABLE_HOST = /^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z0-9-]{1,63}\.?$/;

/** A URL's host for a message: `host[:port]` when the name is quotable (loopback included), else undefined. */
export function quotableHost(url: URL): string | undefined {
  return QUOTABLE_HOST.test(url.hostname) || LOOPBACK.test(url.hostname) ? url.host : undefined;
}

/** A host under one of the official SDKs' endpoint domains (a subdomain of it, whole labels only). */
export function isSdkDomainHost(hostname: string): boolean {
  return SDK_ENDPOINT_DOMAINS.some((domain) => hostname.endsWith(`.${domain}`));
}

/**
 * Checks an *_ENDPOINT override; returns it normalised, or a reason it cannot be used. The host
 * receives the AK, the security token and signed requests that can be replayed, so unless `allowCustom`
 * it must be loopback or under a domain of the official SDKs' region tables. The WHATWG URL parser has
 * already lower-cased the host, turned an IDN into punycode and taken any userinfo out of it, so a
 * look-alike (`myhuaweicloud.com.evil.example`, `evilmyhuaweicloud.com`, a Cyrillic letter, a trailing
 * dot) fails the suffix match on the name that would actually be resolved.
 */
export function checkEndpoint(
  raw: string,
  allowCustom: boolean,
): { ok: true; url: string } | { ok: false; reason: string } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: "is not a URL" };
  }
  const loopback = LOOPBACK.test(url.hostname);
  if (url.protocol !== "https:" && !(url.protocol === "http:" && loopback)) {
    return { ok: false, reason: "must use https:// (http:// is allowed only for loopback hosts)" };
  }
  if (url.search || url.hash || url.username || url.password) {
    return { ok: false, reason: "must not carry a query, fragment or credentials" };
  }
  if (!allowCustom && !loopback && !isSdkDomainHost(url.hostname)) {
    return {
      ok: false,
      reason:
        `names ${QUOTABLE_HOST.test(url.hostname) ? `host ${url.hostname}` : "a host"}, which is under none of the official SDKs' endpoint domains ` +
        `(${SDK_ENDPOINT_DOMAINS.join(", ")}): it would receive the credentials and signed requests. ` +
        `Set ${ENV_KEYS.allowCustomEndpoints}=true to use it anyway`,
    };
  }
  return { ok: true, url: url.origin + url.pathname.replace(/\/+$/, "") };
}
