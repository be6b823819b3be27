/**
 * Secrets never reach the output: every line the built bundles write (stdout, stderr, console, so a
 * library's own logging too), the errors they throw (message, stack, every property), their summaries
 * and the dead letters they publish, and everything the built CLI prints or writes (text, --json,
 * --verbose, --log-file, --dead-letter-file) are scanned for any 16-character fragment of the AK, the
 * SK and a 1,216-character security token (as is, percent-encoded, JSON-escaped), and for every
 * Authorization value actually sent, across normal runs, faults, auth failures, an API that echoes the
 * request's headers back in its error body (as JSON and as text), and configuration mistakes.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import http, { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect, promisify } from "node:util";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Fault } from "../emulator";
import {
  baseState,
  type Emulator,
  envFor,
  type FunctionName,
  instance,
  invoke,
  smnEvent,
  startEmulator,
  timerEvent,
  webBinding,
} from "../support/harness";
import {
  DEAD_LETTER_TOPIC,
  findCredentialFragment,
  LONG_TOKEN,
  richBinding,
  richState,
  topicMessages,
} from "./support";

const AK = "QWERTYAKSECRET0001";
const SK = "skSecretValueZXCVBNM0987654321";
const TOKEN = LONG_TOKEN;
const root = path.resolve(import.meta.dirname, "../..");

/** How the echoing API answers: a JSON error body, or a text one (a proxy's page). */
let echoAs: "json" | "text" = "json";

/** Every Authorization / X-Security-Token value the bundles sent, recorded at the HTTP client boundary. */
const sent = new Set<string>();
const realRequest = http.request;

let emu: Emulator;
let echo: Server;
let echoUrl: string;

beforeAll(async () => {
  emu = await startEmulator({ credentials: [{ ak: AK, sk: SK, securityToken: TOKEN }] });
  http.request = ((...args: Parameters<typeof http.request>) => {
    const options = args.find((a) => typeof a === "object" && a !== null && !(a instanceof URL));
    for (const [name, v] of Object.entries((options as http.RequestOptions | undefined)?.headers ?? {})) {
      if (/^(authorization|x-security-token)$/i.test(name) && typeof v === "string") sent.add(v);
    }
    return realRequest(...args);
  }) as typeof http.request;
  // An API that echoes the request's headers in its error body, as some proxies and gateways do.
  echo = createServer((req, res) => {
    const status = req.url?.includes("autoscaling") ? 500 : 400;
    if (echoAs === "text") {
      res.writeHead(status === 500 ? 502 : 401, { "Content-Type": "text/plain" });
      res.end(
        `Bad gateway or unauthorized. You sent:\n${Object.entries(req.headers)
          .map(([k, v]) => `${k}: ${v}`)
          .join("\n")}\n`,
      );
      return;
    }
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(
      JSON.stringify({
        error_code: status === 500 ? "APIG.9999" : "APIG.2012",
        error_msg: `Invalid request, headers: Authorization: ${req.headers.authorization}; X-Security-Token: ${req.headers["x-security-token"]}`,
        request_headers: req.headers,
      }),
    );
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  echoUrl = `http://127.0.0.1:${(echo.address() as { port: number }).port}`;
});
afterAll(async () => {
  http.request = realRequest;
  await emu.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
});
beforeEach(() => {
  emu.control.reset();
  emu.control.load(richState());
});

/** Fragments that must never appear: the secrets, every header value sent, and their signatures. */
function forbidden(): string[] {
  const out = new Set([AK, SK, TOKEN]);
  for (const v of sent) {
    out.add(v);
    const signature = /Signature=([0-9a-f]+)/.exec(v)?.[1];
    if (signature) out.add(signature);
  }
  return [...out];
}

/** Everything an operator could ever see of one invocation. */
async function run(
  fn: FunctionName,
  event: unknown,
  opts: { env: Record<string, string>; agency?: boolean },
): Promise<string> {
  const inv = await invoke(fn, event, {
    env: opts.env,
    ...(opts.agency ? { credentials: { ak: AK, sk: SK, token: TOKEN } } : {}),
    remainingMs: 20_000,
  });
  const error = inv.error
    ? [
        inv.error.message,
        inv.error.stack ?? "",
        inspect(inv.error, { showHidden: true, depth: 20 }),
        JSON.stringify(inv.error),
      ]
    : [];
  return [
    ...inv.lines,
    ...error,
    JSON.stringify(inv.summary ?? null),
    ...topicMessages(emu).map((m) => `${m.subject} ${m.message}`),
  ].join("\n");
}

function expectClean(output: string) {
  expect(sent.size, "the bundle must have sent signed requests").toBeGreaterThan(0);
  expect(findCredentialFragment(output, [AK, SK, TOKEN])).toBeUndefined();
  for (const secret of forbidden()) {
    const at = output.indexOf(secret);
    expect(at, `found ${secret.slice(0, 12)}… in: ${output.slice(Math.max(0, at - 120), at + 60)}`).toBe(-1);
  }
  // An echoed Authorization value may show its scheme and signed header names, never its key or signature.
  expect(output).not.toMatch(/Access=(?!\[REDACTED\])/);
  expect(output).not.toMatch(/Signature=(?!\[REDACTED\])/);
}

/** Credentials from the context (an agency) or from the environment variables (local runs, the CLI). */
function envWith(how: "agency" | "env", extra: Record<string, string> = {}, bindings = [richBinding]) {
  const {
    HUAWEICLOUD_SDK_AK: _a,
    HUAWEICLOUD_SDK_SK: _s,
    ...env
  } = envFor(emu, bindings, {
    DEAD_LETTER_TOPIC_URN: DEAD_LETTER_TOPIC,
    LOG_LEVEL: "debug",
    RETRY_MAX_ATTEMPTS: "2",
    REQUEST_TIMEOUT_MS: "200",
    ...extra,
  });
  return how === "agency"
    ? env
    : { ...env, HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK, HUAWEICLOUD_SDK_SECURITY_TOKEN: TOKEN };
}

const event = smnEvent('{"scaling_group_id":"asg-1","instance_id":"i-2"}');

const FAULTS: Array<[string, Fault[]]> = [
  ["no fault (debug logging)", []],
  [
    "401 on every call",
    [{ times: 0, status: 401, body: { error_code: "APIG.1002", error_msg: "Incorrect token" } }],
  ],
  [
    "500 on every write",
    [
      { method: "POST", times: 0, status: 500 },
      { method: "DELETE", times: 0, status: 500 },
    ],
  ],
  ["connection reset", [{ method: "GET", path: "/members$", reset: true, times: 0 }]],
  ["hang", [{ method: "POST", path: "/members$", hang: true, times: 0 }]],
  ["malformed body", [{ method: "GET", path: "/scaling_group_instance/", malformed: true, times: 0 }]],
  [
    "dead-letter publish refused",
    [
      { method: "POST", path: "/members$", times: 0, status: 403 },
      { path: "/publish$", times: 0, status: 401 },
    ],
  ],
];

describe.each(["agency", "env"] as const)("credentials from the %s", (how) => {
  it.each(FAULTS)("%s", async (_name, faults) => {
    if (faults.length > 0) emu.control.addFault(faults);
    const output = await run("scaling-events", event, { env: envWith(how), agency: how === "agency" });
    expectClean(output);
  });

  it.each(["json", "text"] as const)(
    "an API that echoes the request's headers in its error bodies (%s)",
    async (as) => {
      echoAs = as;
      const output = await run("reconcile", timerEvent(), {
        env: envWith(how, { ROMA_ENDPOINT: echoUrl, AS_ENDPOINT: echoUrl }),
        agency: how === "agency",
      });
      expect(output).toMatch(as === "json" ? /APIG\.2012|APIG\.9999/ : /HTTP_401|HTTP_502/);
      expectClean(output);
    },
  );

  it("wrong credentials: the API refuses every call", async () => {
    const output = await run("reconcile", timerEvent(), {
      env: { ...envWith("env"), HUAWEICLOUD_SDK_SK: `${SK}-wrong` },
    });
    expect(output).toMatch(/APIG\.1002|AS\.0006/);
    expectClean(output.replaceAll(`${SK}-wrong`, ""));
    expect(output).not.toContain(`${SK}-wrong`);
  });
});

describe("configuration mistakes never echo a secret", () => {
  it.each([
    ["the SK pasted into BINDINGS", { BINDINGS: `[{"scaling_group_id": ${SK}}]` }],
    ["the AK pasted into BINDINGS", { BINDINGS: `${AK}` }],
    ["the SK as the region", { HUAWEICLOUD_SDK_REGION: SK }],
    ["the token as the dead-letter topic", { DEAD_LETTER_TOPIC_URN: TOKEN }],
    ["the token as the log level", { LOG_LEVEL: TOKEN }],
    // The URL parser lower-cases a host: quoted, it would slip past a scrub by value.
    ["the SK as an endpoint's host", { SMN_ENDPOINT: `https://${SK}` }],
    ["the AK as an endpoint's host, with a port", { ECS_ENDPOINT: `https://${AK}:8443/` }],
    [
      "the AK as a binding's channel id",
      { BINDINGS: JSON.stringify([{ ...webBinding, vpc_channel_id: `${AK}/x` }]) },
    ],
  ])("%s", async (_name, override) => {
    emu.control.load(baseState({ instances: [instance("i-1")] }));
    // Make sure at least one signed request was recorded for the scan's header list.
    if (sent.size === 0) await run("reconcile", timerEvent(), { env: envWith("env", {}, [webBinding]) });
    const output = await run("reconcile", timerEvent(), { env: { ...envWith("env"), ...override } });
    expect(output).toMatch(/Invalid configuration/);
    expectClean(output);
    // Not even a fragment of a secret: JSON parse errors quote the text around the fault.
    for (const secret of [AK, SK, TOKEN]) {
      expect(output).not.toContain(secret.slice(0, 8));
      expect(output).not.toContain(secret.slice(0, 8).toLowerCase());
    }
  });
});

/** Runs the built CLI (bin → dist/cli) as a child process. */
async function cli(args: string[], env: Record<string, string>, cwd: string) {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      [path.join(root, "bin/channel-autoscaler.cjs"), ...args],
      { env: { PATH: process.env.PATH ?? "", ...env }, cwd },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("the CLI never prints a credential, whatever is pasted where", () => {
  const secrets = { HUAWEICLOUD_SDK_AK: AK, HUAWEICLOUD_SDK_SK: SK, HUAWEICLOUD_SDK_SECURITY_TOKEN: TOKEN };
  const configMistakes: Array<[string, Record<string, string>]> = [
    ["the SK as the region", { HUAWEICLOUD_SDK_REGION: SK }],
    ["the SK as a BINDINGS key", { BINDINGS: JSON.stringify([{ ...webBinding, [SK]: 1 }]) }],
    ["the AK as a BINDINGS key", { BINDINGS: JSON.stringify([{ ...webBinding, [AK]: 1 }]) }],
    ["the SK pasted into BINDINGS", { BINDINGS: `[{"scaling_group_id": ${SK}}]` }],
    ["the token as the dead-letter topic", { DEAD_LETTER_TOPIC_URN: TOKEN }],
    ["the token as the project id", { HUAWEICLOUD_SDK_PROJECT_ID: TOKEN }],
  ];

  it.each(configMistakes)("%s: text and --json, from the environment and from --dotenv", async (_n, over) => {
    const dir = mkdtempSync(path.join(tmpdir(), "secrets-cli-"));
    const env = { ...envWith("env"), ...secrets, ...over };
    const outputs: string[] = [];
    for (const json of [false, true]) {
      const r = await cli(["plan", ...(json ? ["--json"] : [])], env, dir);
      expect(r.code).toBe(2);
      expect(r.stdout + r.stderr).toMatch(/Invalid configuration/);
      outputs.push(r.stdout, r.stderr);
    }
    // The same values in a --dotenv file, with nothing in the process environment.
    writeFileSync(
      path.join(dir, "cli.env"),
      Object.entries(env)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join("\n"),
    );
    for (const json of [false, true]) {
      const r = await cli(["plan", "--dotenv", "cli.env", ...(json ? ["--json"] : [])], {}, dir);
      expect(r.code).toBe(2);
      outputs.push(r.stdout, r.stderr);
    }
    expectClean(outputs.join("\n"));
  });

  it.each([
    ["--group", ["plan", "--group", SK]],
    ["--timeout", ["plan", "--timeout", SK]],
    ["an unknown option", ["plan", `--${SK}`]],
  ])("a secret passed to %s", async (_n, args) => {
    const dir = mkdtempSync(path.join(tmpdir(), "secrets-cli-"));
    const env = { ...envWith("env", {}, [webBinding]), ...secrets };
    const text = await cli(args, env, dir);
    const json = await cli([...args, "--json"], env, dir);
    expect(text.code).toBe(2);
    expectClean([text.stdout, text.stderr, json.stdout, json.stderr].join("\n"));
  });

  it.each(["json", "text"] as const)(
    "an API that echoes the headers (%s): text, --json, --verbose, --log-file, --dead-letter-file",
    async (as) => {
      echoAs = as;
      const dir = mkdtempSync(path.join(tmpdir(), "secrets-cli-"));
      const env = { ...envWith("env", { ROMA_ENDPOINT: echoUrl, AS_ENDPOINT: echoUrl }), ...secrets };
      const text = await cli(["sync", "--verbose"], env, dir);
      const json = await cli(
        ["sync", "--json", "--log-file", "log.jsonl", "--dead-letter-file", "dl.json"],
        env,
        dir,
      );
      expect(text.code).toBe(1);
      const deadLetters = readFileSync(path.join(dir, "dl.json"), "utf8");
      expect(JSON.parse(deadLetters).length).toBeGreaterThan(0);
      expectClean(
        [
          text.stdout,
          text.stderr,
          json.stdout,
          json.stderr,
          readFileSync(path.join(dir, "log.jsonl"), "utf8"),
          deadLetters,
          ...topicMessages(emu).map((m) => `${m.subject} ${m.message}`),
        ].join("\n"),
      );
    },
  );
});
