import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  isAlreadyDeleted,
  isBatchActionRefused,
  isHookAlreadyCompleted,
  isParameterRefusal,
  isQuotaExceeded,
  isThrottle,
} from "../../src/cloud/classify";
import {
  ERROR_CODES,
  type ErrorCodeInfo,
  errorCodeInfo,
  hintFor,
  hintForError,
} from "../../src/cloud/error-codes";
import { ApiError, NetworkError } from "../../src/cloud/errors";

/** README's troubleshooting table: each row's codes and its two prose cells. */
function troubleshootingRows(): { codes: string[]; means: string; todo: string }[] {
  const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
  const section = readme.slice(
    readme.indexOf("## Troubleshooting"),
    readme.indexOf("\n## ", readme.indexOf("## Troubleshooting") + 1),
  );
  return section
    .split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const [first = "", , means = "", todo = ""] = line.slice(1, -1).split(" | ");
      const codes = [...first.matchAll(/`([^`]+)`/g)]
        .map((m) => m[1]!)
        .filter((c) => /^[A-Z][A-Za-z0-9_.]*$/.test(c));
      return { codes, means, todo };
    })
    .filter((row) => row.codes.length > 0);
}

const rows = troubleshootingRows();
const table = Object.entries(ERROR_CODES) as [string, ErrorCodeInfo][];
const codesWhere = (has: (info: ErrorCodeInfo) => boolean) =>
  table
    .filter(([, info]) => has(info))
    .map(([c]) => c)
    .sort();
const readmeCodesWhere = (says: (row: { means: string; todo: string }) => boolean) =>
  rows
    .filter(says)
    .flatMap((r) => r.codes)
    .sort();
const inReadme = new Set(rows.flatMap((r) => r.codes));

describe("the error-code table and README's troubleshooting table", () => {
  it("reads README's table", () => {
    expect(rows.length).toBeGreaterThan(20);
    expect(inReadme).toContain("APIG.3110");
  });

  it("every code with an operator hint is in README's table", () => {
    expect(codesWhere((i) => i.hint !== undefined).filter((c) => !inReadme.has(c))).toEqual([]);
  });

  it("every code README calls transient is transient in the table", () => {
    const readmeTransient = readmeCodesWhere((r) => /\btransient\b/.test(r.todo));
    expect(readmeTransient.length).toBeGreaterThan(5);
    expect(readmeTransient.filter((c) => errorCodeInfo(c).transient !== true)).toEqual([]);
  });

  it("the throttling codes are README's 'throttled' row, both ways", () => {
    expect(codesWhere((i) => i.throttle === true)).toEqual(readmeCodesWhere((r) => r.means === "throttled"));
  });

  it("the codes that count as done are README's 'counted as', both ways", () => {
    expect(codesWhere((i) => i.doneFor !== undefined)).toEqual(
      readmeCodesWhere((r) => /^nothing: counted as/.test(r.todo)),
    );
  });

  it("AS's refusals for the group's state are README's 'the next run tries again', both ways", () => {
    expect(codesWhere((i) => i.refusedForNow === true)).toEqual(
      readmeCodesWhere((r) => /the next run tries again/.test(r.todo)),
    );
  });
});

describe("the table drives the classification", () => {
  const api = (code: string, status = 400) => new ApiError("apig", "op", status, code, "m");

  it("transient: an API code, a 5xx or a 429; a code raised by our own error class is not read from an answer", () => {
    expect(api("APIG.3500").transient).toBe(true);
    expect(api("APIG.3023", 404).transient).toBe(false);
    expect(api("APIG.3023", 503).transient).toBe(true);
    expect(api("NETWORK_ERROR", 400).transient).toBe(false);
    expect(new NetworkError("apig", "op", "m").transient).toBe(true);
  });

  it("throttle, done, refused for now, hints", () => {
    expect(isThrottle(api("APIG.0308", 500))).toBe(true);
    expect(isThrottle(api("APIG.9999", 500))).toBe(false);
    expect(isAlreadyDeleted(api("APIG.3024", 404))).toBe(true);
    expect(isHookAlreadyCompleted(api("APIG.3024", 404))).toBe(false);
    expect(isHookAlreadyCompleted(api("AS.7042"))).toBe(true);
    expect(isBatchActionRefused(api("AS.4015"))).toBe(true);
    expect(hintFor("APIG.3110")).toMatch(/member quota/);
    expect(hintFor("constructor")).toBeUndefined();
    expect(errorCodeInfo("toString")).toEqual({});
  });
});

describe("classification reads an API's answer only", () => {
  const api = (code: string, status = 400) => new ApiError("apig", "op", status, code, "m");
  /** An error that carries a table's code but is no API answer (as Node's own errors carry a `code`). */
  const lookalike = (code: string) => Object.assign(new Error("m"), { code, status: 400 });

  it.each([
    ["a full member quota", isQuotaExceeded, "APIG.3110", "APIG.3023"],
    ["AS refusing for the group's state", isBatchActionRefused, "AS.0026", "AS.2007"],
    ["a member already gone", isAlreadyDeleted, "APIG.3024", "APIG.3023"],
    ["a hook that no longer waits", isHookAlreadyCompleted, "AS.7042", "AS.2007"],
    ["a refused parameter", isParameterRefusal, "APIG.2012", "APIG.3023"],
  ])("%s: its code, from the API", (_what, is, code, other) => {
    expect(is(api(code))).toBe(true);
    expect(is(api(other))).toBe(false);
    expect(is(lookalike(code))).toBe(false);
    expect(is(undefined)).toBe(false);
  });
});

describe("parameter refusals", () => {
  const api = (code: string) => new ApiError("apig", "op", 400, code, "m");

  it("are APIG.2000 to APIG.2099 and no code that only contains one", () => {
    for (const code of ["APIG.2000", "APIG.2001", "APIG.2025", "APIG.2099"])
      expect(isParameterRefusal(api(code))).toBe(true);
    for (const code of ["APIG.1999", "APIG.3000", "APIG.20123", "XAPIG.2012", "ROMA.APIG.2012", "APIG.2O12"])
      expect(isParameterRefusal(api(code))).toBe(false);
  });
});

describe("hintForError", () => {
  it("says nothing answers on a loopback address, with the port to start the emulator on", () => {
    expect(
      hintForError({ code: "NETWORK_ERROR", message: "listMembers: ECONNREFUSED 127.10.0.1:4011" }),
    ).toBe(
      "nothing answers at 127.10.0.1:4011: is the emulator running there (npm run emulator -- --port 4011)? Else check the *_ENDPOINT values",
    );
    expect(hintForError({ code: "NETWORK_ERROR", message: "listMembers: ECONNREFUSED [::1]:80" })).toMatch(
      /^nothing answers at \[::1\]:80: .*--port 80\)/,
    );
    expect(hintForError({ code: "NETWORK_ERROR", message: "getaddrinfo ENOTFOUND LOCALHOST" })).toMatch(
      /^nothing answers at LOCALHOST: .*--port <port>\)/,
    );
  });

  it("gives the table's hint otherwise", () => {
    expect(hintForError({ code: "NETWORK_ERROR", message: "connect ECONNREFUSED 10.0.0.1:443" })).toBe(
      hintFor("NETWORK_ERROR"),
    );
    expect(hintForError({ code: "APIG.3023", message: "channel missing at 127.0.0.1:4010" })).toBe(
      hintFor("APIG.3023"),
    );
  });
});
