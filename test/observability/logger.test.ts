import { describe, expect, it } from "vitest";
import { Logger } from "../../src/observability/logger";

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
});
