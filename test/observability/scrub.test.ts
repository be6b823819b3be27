import { describe, expect, it } from "vitest";
import { cut, encodedForms, FRAGMENT_LENGTH, SecretScrubber } from "../../src/observability/scrub";

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

  it("cuts after scrubbing, saying how much was left out", () => {
    expect(cut("abcdef", 4)).toBe("abcd… (2 more characters)");
    expect(cut("abc", 4)).toBe("abc");
  });
});
