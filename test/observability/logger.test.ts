import { describe, expect, it } from "vitest";
import { Logger, MAX_FIELD_DEPTH, TOO_DEEP } from "../../src/observability/logger";

describe("Logger", () => {
  it("writes JSON lines with base fields, filtered by level", () => {
    const lines: string[] = [];
    const log = new Logger({ level: "info", base: { request_id: "r1" }, write: (l) => lines.push(l) });
    log.debug("hidden");
    log.info("shown", { action: "x" });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "info",
      msg: "shown",
      request_id: "r1",
      action: "x",
    });
  });

  it("never lets a secret through, by name or by value", () => {
    const lines: string[] = [];
    const log = new Logger({
      level: "debug",
      secrets: ["AKVALUE123", "SKVALUE456", "TOKEN789xyz"],
      write: (l) => lines.push(l),
    });
    log.error("failed with AKVALUE123 and SKVALUE456", {
      headers: { Authorization: "SDK-HMAC-SHA256 Access=AKVALUE123", "X-Security-Token": "TOKEN789xyz" },
      nested: { deeper: ["x TOKEN789xyz y"] },
      err: new Error("token TOKEN789xyz leaked"),
    });
    const out = lines.join("\n");
    for (const s of ["AKVALUE123", "SKVALUE456", "TOKEN789xyz", "SDK-HMAC"]) expect(out).not.toContain(s);
    expect(out).toContain("[REDACTED]");
  });

  it("cuts fields nested past the depth limit, redacting every secret-named field above it", () => {
    const lines: string[] = [];
    const log = new Logger({ level: "info", write: (l) => lines.push(l) });
    // A secret-named field just above the limit, and a value a million levels deep.
    let shallow: Record<string, unknown> = { token: "opaque-credential-value" };
    for (let i = 0; i < MAX_FIELD_DEPTH - 1; i++) shallow = { next: shallow };
    let deep: unknown = "bottom";
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    log.info("deep", { shallow, deep });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("opaque-credential-value");
    const line = JSON.parse(lines[0]!);
    let d = line.deep;
    let levels = 0;
    while (Array.isArray(d)) {
      d = d[0];
      levels += 1;
    }
    expect(d).toBe(TOO_DEEP);
    expect(levels).toBe(MAX_FIELD_DEPTH);
  });

  it("keeps a field named __proto__ as a field", () => {
    const lines: string[] = [];
    const log = new Logger({ level: "info", write: (l) => lines.push(l) });
    log.info("proto", JSON.parse('{"detail": {"__proto__": {"polluted": true}, "constructor": "x"}}'));
    expect(lines[0]).toContain('"__proto__":{"polluted":true}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
