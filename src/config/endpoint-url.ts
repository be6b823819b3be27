const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** Checks an *_ENDPOINT override; returns it normalised, or a reason it cannot be used. */
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
