import { describe, expect, it } from "vitest";
import {
  cut,
  encodedForms,
  FRAGMENT_LENGTH,
  SecretScrubber,
  scrubberFor,
} from "../../src/observability/scrub";

/** A 1,216-character security token, as long as the ones IAM issues for agencies. */
const TOKEN = Array.from({ length: 76 }, (_, i) => `gQIDAhAo+/${String(i).padStart(4, "0")}xy`).join("");
const SK = "skSecretValueZXCVBNM0987654321abcdefghij";
const AK = "QWERTYAKSECRET0001";

/** Every window of FRAGMENT_LENGTH characters of the value found in the text. */
function fragmentsIn(text: string, value: string): string[] {
  const found: string[] = [];
  for (let i = 0; i + FRAGMENT_LENGTH <= value.length; i++) {
    const w = value.slice(i, i + FRAGMENT_LENGTH);
    if (text.includes(w)) found.push(w);
  }
  return found;
}

describe("SecretScrubber", () => {
  // Built in each test, not as the file loads: what a test runs is what mutation testing
  // (stryker.config.mjs) attributes to it.
  const scrubber = () => new SecretScrubber([AK, SK, TOKEN]);

  it.each([
    ["as is", (s: string) => s],
    ["percent-encoded", (s: string) => encodeURIComponent(s)],
    ["JSON-escaped", (s: string) => JSON.stringify(s)],
    ["JSON-escaped twice", (s: string) => JSON.stringify(JSON.stringify(s))],
    ["base64", (s: string) => Buffer.from(s).toString("base64")],
    ["base64 at an odd offset", (s: string) => Buffer.from(`x${s}`).toString("base64")],
    ["base64 at the third offset", (s: string) => Buffer.from(`xy${s}`).toString("base64")],
    ["base64 at another offset", (s: string) => Buffer.from(`xy:${s}!`).toString("base64url")],
    ["cut short by the server", (s: string) => s.slice(5, 5 + 200)],
  ])("removes every fragment of a credential %s", (_name, form) => {
    for (const secret of [SK, TOKEN]) {
      const text = `401 Unauthorized. Headers were: X-Security-Token: ${form(secret)}; Host: example`;
      const out = scrubber().scrub(text);
      for (const f of encodedForms(secret)) expect(fragmentsIn(out, f)).toEqual([]);
      expect(fragmentsIn(out, secret)).toEqual([]);
      expect(out).toContain("[REDACTED]");
      expect(out).toMatch(/^401 Unauthorized\. Headers were: X-Security-Token: /);
      expect(out).toMatch(/; Host: example$/);
    }
  });

  it("removes short credentials as whole values, and request signatures", () => {
    const out = scrubber().scrub(`Access=${AK}, SignedHeaders=host, Signature=0123456789abcdef0123`);
    expect(out).not.toContain(AK);
    expect(out).not.toContain("0123456789abcdef");
  });

  it("leaves text without credentials as it is", () => {
    const text = "listMembers: APIG.3023 the VPC channel does not exist ".repeat(20);
    expect(scrubber().scrub(text)).toBe(text);
  });

  it("puts one marker where a credential was, whole or in part, and keeps the text around it", () => {
    expect(scrubber().scrub(`a ${SK} b`)).toBe("a [REDACTED] b");
    expect(scrubber().scrub(`${SK} b`)).toBe("[REDACTED] b");
    expect(scrubber().scrub(`${SK.slice(3)}`)).toBe("[REDACTED]");
    expect(scrubber().scrub(`${SK} and ${TOKEN}.`)).toBe("[REDACTED] and [REDACTED].");
    // Two credentials back to back are one run.
    expect(scrubber().scrub(`(${SK}${TOKEN})`)).toBe("([REDACTED])");
  });

  it("leaves text whose window only shares a fragment's hash", () => {
    // A window differing from a fragment by -1 at its 15th and +257 at its 16th character hashes the same.
    const w = SK.slice(0, FRAGMENT_LENGTH);
    const near =
      w.slice(0, 14) +
      String.fromCharCode(w.charCodeAt(14) - 1) +
      String.fromCharCode(w.charCodeAt(15) + 257);
    expect(scrubber().scrub(`x ${near} y`)).toBe(`x ${near} y`);
  });

  it("cuts after scrubbing, saying how much was left out", () => {
    expect(cut("abcdef", 4)).toBe("abcd… (2 more characters)");
    expect(cut("abcd", 4)).toBe("abcd");
    expect(cut("abc", 4)).toBe("abc");
  });
});

describe("SecretScrubber with short credentials", () => {
  it("scrubs a credential of four characters or more, and never a shorter one (it would match ordinary text)", () => {
    expect(new SecretScrubber(["abc"]).scrub("abc, abcd")).toBe("abc, abcd");
    expect(new SecretScrubber(["abcd"]).scrub("abc, abcd")).toBe("abc, [REDACTED]");
    expect(encodedForms("abcd")).toContain("abcd");
    expect(encodedForms("abcd").filter((f) => f.length < 4)).toEqual([]);
  });

  it("scrubs the longer of two credentials whole when it holds the other", () => {
    expect(new SecretScrubber(["abcd", "abcdefg"]).scrub("x abcdefg y")).toBe("x [REDACTED] y");
  });

  it("scrubs a credential of exactly the fragment length, and the runs it overlaps itself in", () => {
    const secret = "ab".repeat(FRAGMENT_LENGTH / 2);
    expect(new SecretScrubber([secret]).scrub(secret)).toBe("[REDACTED]");
    expect(new SecretScrubber([secret]).scrub(`${secret}ab`)).toBe("[REDACTED]");
  });

  it("scrubs the JSON-escaped form without the quotes around it", () => {
    expect(new SecretScrubber(['ab"cd']).scrub(JSON.stringify({ token: 'ab"cd' }))).toBe(
      '{"token":"[REDACTED]"}',
    );
  });

  it("scrubs the RFC 3986 percent-encoding the signer uses, in either case", () => {
    const secret = "ab!cd*ef'gh(ij)";
    const scrubber = new SecretScrubber([secret]);
    expect(scrubber.scrub("q=ab%21cd%2Aef%27gh%28ij%29&")).toBe("q=[REDACTED]&");
    expect(scrubber.scrub("q=ab%21cd%2aef%27gh%28ij%29&")).toBe("q=[REDACTED]&");
  });

  it("scrubs request signatures, whoever's, and leaves shorter values", () => {
    const none = new SecretScrubber([]);
    expect(
      none.scrub("SDK-HMAC-SHA256 Access=ABCDEFGHIJ, SignedHeaders=host, Signature=0123456789abcdef"),
    ).toBe("SDK-HMAC-SHA256 Access=[REDACTED], SignedHeaders=host, Signature=[REDACTED]");
    expect(none.scrub("Signature=abc")).toBe("Signature=abc");
  });
});

describe("encodedForms", () => {
  it("are the value as is, percent-encoded in both cases, JSON-escaped once and twice, and its base64 cores", () => {
    expect(encodedForms('a"b/c+ d?>')).toEqual([
      'a"b/c+ d?>',
      "a%22b%2Fc%2B%20d%3F%3E",
      "a%22b%2fc%2b%20d%3f%3e",
      'a\\"b/c+ d?>',
      'a\\\\\\"b/c+ d?>',
      // Aligned at a 3-byte boundary, in base64 and base64url; then after 1 and 2 other bytes, without
      // the characters that depend on them.
      "YSJiL2MrIGQ/",
      "YSJiL2MrIGQ_",
      "EiYi9jKyBk",
      "hImIvYysgZD8+",
      "hImIvYysgZD8-",
    ]);
  });

  it("let a short credential be scrubbed from the base64 of a longer text, at every alignment", () => {
    const secret = 'a"b/c+ d?>';
    const scrubber = new SecretScrubber([secret]);
    for (const before of ["", "x", "xy"]) {
      for (const encoding of ["base64", "base64url"] as const) {
        const text = Buffer.from(`${before}${secret}!`).toString(encoding);
        const out = scrubber.scrub(text);
        expect(out, `${before} ${encoding}`).toContain("[REDACTED]");
        // Only the characters that also encode the bytes around it are left: at most 3 before, and a
        // partial group with its padding after.
        expect(out.replace("[REDACTED]", "").length, `${before} ${encoding}`).toBeLessThanOrEqual(7);
      }
    }
  });

  it("nothing of a credential shorter than four characters, in any form", () => {
    expect(new SecretScrubber(["abc"]).scrub("abc YWJj")).toBe("abc YWJj");
  });
});

describe("scrubberFor", () => {
  const set = (n: number) => [`first-credential-${n}`, `second-credential-${n}`];

  it("builds one scrubber per set of credentials, whatever their order", () => {
    const [a, b] = set(100);
    expect(scrubberFor([a!, b!])).toBe(scrubberFor([b!, a!, b!]));
    expect(scrubberFor([a!, b!]).scrub(`x ${b} y`)).toBe("x [REDACTED] y");
  });

  it("keeps the four sets built last", () => {
    const built = [1, 2, 3, 4].map((n) => scrubberFor(set(n)));
    expect([1, 2, 3, 4].map((n) => scrubberFor(set(n)))).toEqual(built);
    expect(scrubberFor(set(1))).toBe(built[0]);
    scrubberFor(set(5));
    // Set 1 was built first of the four: the fifth took its place.
    expect(scrubberFor(set(1))).not.toBe(built[0]);
    expect(scrubberFor(set(3))).toBe(built[2]);
  });
});
