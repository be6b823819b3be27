/**
 * The cloud client's own scrubbing (src/cloud/http.ts), alone: an error built from a response carries no
 * credential in its message or code, before any logger, dead-letter sink or CLI sees it. The logger
 * (test/observability/logger.test.ts), the dead-letter publish (test/reliability/dead-letter.test.ts)
 * and the CLI (test/cli/safe-output.test.ts) scrub again, each tested alone too; test/faults/secrets.test.ts
 * checks all of them together through the built bundles. The oracle is independent of the scrubber
 * (findCredentialFragment: every 16-character piece of each credential, as is and encoded).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { Deadline } from "../../src/cloud/deadline";
import { ApiError } from "../../src/cloud/errors";
import { GatewayClient } from "../../src/cloud/gateway";
import { CloudHttp } from "../../src/cloud/http";
import { RunMetrics } from "../../src/observability/metrics";
import type { Fault } from "../emulator";
import { findCredentialFragment, LONG_TOKEN } from "../faults/support";
import { emulatorForFile } from "../support/emulator-for-file";
import { romaGateway } from "../support/harness";

const AK = "QWERTYAKSECRET0001";
const SK = "skSecretValueZXCVBNM0987654321";
const TOKEN = LONG_TOKEN;
const CREDENTIALS = [AK, SK, TOKEN];

const emu = await emulatorForFile({ credentials: [{ ak: AK, sk: SK, securityToken: TOKEN }] });
beforeEach(() => {
  emu.control.reset();
  emu.control.load({ gateways: romaGateway([]) });
});

const gateway = new GatewayClient(
  new CloudHttp({
    projectId: emu.projectId,
    endpointOf: () => emu.url,
    credentials: { ak: AK, sk: SK, securityToken: TOKEN },
    // A clock that stands still: nothing here depends on how fast the machine is.
    deadline: new Deadline(60_000, 0, () => 0),
    policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    requestTimeoutMs: 60_000,
    metrics: new RunMetrics(),
    limiters: {},
  }),
);

/** The error the client throws for one refused listing, and everything of it a later layer could print. */
async function refusedWith(fault: Fault): Promise<{ error: ApiError; text: string }> {
  emu.control.addFault({ method: "GET", path: "/members$", times: 0, ...fault });
  let error: unknown;
  try {
    await gateway.listGroupMembers(
      { gateway: "roma", instance_id: "roma-1", vpc_channel_id: "chan-1" },
      "web",
    );
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(ApiError);
  const e = error as ApiError;
  return { error: e, text: [e.message, e.code, String(e), JSON.stringify(e)].join("\n") };
}

describe("an error built from a response carries no credential", () => {
  it("a text body that echoes every request header (Authorization, X-Security-Token)", async () => {
    const { error, text } = await refusedWith({ echoHeaders: true, status: 401 });
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/Unauthorized/);
    expect(findCredentialFragment(text, CREDENTIALS)).toBeUndefined();
    expect(text).not.toMatch(/Signature=(?!\[REDACTED\])/);
  });

  it("a JSON error message quoting the credentials, percent-encoded and JSON-escaped too", async () => {
    const quoted = `token ${TOKEN} sk=${encodeURIComponent(SK)} ak ${JSON.stringify(AK)}`;
    const { error, text } = await refusedWith({
      status: 400,
      body: { error_code: "APIG.2012", error_msg: `Invalid request: ${quoted}` },
    });
    expect(error.code).toBe("APIG.2012");
    expect(error.message).toMatch(/Invalid request/);
    expect(findCredentialFragment(text, CREDENTIALS)).toBeUndefined();
  });

  it("an error code that is a credential is not kept as the code", async () => {
    const { error, text } = await refusedWith({ status: 403, body: { error_code: AK, error_msg: "denied" } });
    expect(error.code).toBe("HTTP_403");
    expect(findCredentialFragment(text, CREDENTIALS)).toBeUndefined();
  });
});
