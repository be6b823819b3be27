/**
 * The dead-letter sink's own scrubbing (src/reliability/dead-letter.ts), alone: what it publishes to SMN
 * carries no credential even when the record handed to it does (a layer before it let one through). The
 * record's log line is the logger's to scrub (test/observability/logger.test.ts); the oracle here is
 * independent of the scrubber (findCredentialFragment).
 */
import { describe, expect, it } from "vitest";
import { Deadline } from "../../src/cloud/deadline";
import { CloudHttp } from "../../src/cloud/http";
import { SmnClient } from "../../src/cloud/smn";
import { Logger } from "../../src/observability/logger";
import { RunMetrics } from "../../src/observability/metrics";
import { DEAD_LETTER_SUBJECT, DeadLetterSink } from "../../src/reliability/dead-letter";
import { DEAD_LETTER_TOPIC, findCredentialFragment, LONG_TOKEN, topicMessages } from "../faults/support";
import { emulatorForFile } from "../support/emulator-for-file";

const AK = "QWERTYAKSECRET0001";
const SK = "skSecretValueZXCVBNM0987654321";
const TOKEN = LONG_TOKEN;

const emu = await emulatorForFile({ credentials: [{ ak: AK, sk: SK, securityToken: TOKEN }] });

function sink(lines: string[]): DeadLetterSink {
  const http = new CloudHttp({
    projectId: emu.projectId,
    endpointOf: () => emu.url,
    credentials: { ak: AK, sk: SK, securityToken: TOKEN },
    deadline: new Deadline(60_000, 0, () => 0),
    policy: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    requestTimeoutMs: 60_000,
    metrics: new RunMetrics(),
    limiters: {},
  });
  return new DeadLetterSink({
    requestId: "req-1",
    functionName: "channel-autoscaler-reconcile",
    logger: new Logger({ level: "info", secrets: [AK, SK, TOKEN], write: (l) => lines.push(l) }),
    topicUrn: DEAD_LETTER_TOPIC,
    smn: new SmnClient(http),
  });
}

describe("the dead-letter topic", () => {
  it("gets the record scrubbed, whatever credential its error text holds", async () => {
    emu.control.reset();
    emu.control.load({ topics: [{ topic_urn: DEAD_LETTER_TOPIC }] });
    const lines: string[] = [];
    const deadLetters = sink(lines);
    deadLetters.add({
      action: "add_members",
      binding: null,
      scalingGroupId: "asg-1",
      instanceIds: ["i-1"],
      error: {
        status: 401,
        code: "APIG.1002",
        message: `echoed: X-Security-Token: ${TOKEN}; sk ${encodeURIComponent(SK)}; Access=${AK}`,
      },
      attempts: 1,
    });
    await deadLetters.flush();
    expect(deadLetters.delivery).toEqual({ published: 1, refused: 0, unconfirmed: 0 });
    const published = topicMessages(emu);
    expect(published).toHaveLength(1);
    expect(published[0]!.subject).toBe(DEAD_LETTER_SUBJECT);
    // Still the record, with what an operator needs: only the credentials are gone.
    expect(JSON.parse(published[0]!.message)).toMatchObject({
      dead_letter: true,
      action: "add_members",
      instance_ids: ["i-1"],
      error: { status: 401, code: "APIG.1002", message: expect.stringContaining("echoed: X-Security-Token") },
      replay: { scaling_group_ids: ["asg-1"] },
    });
    expect(findCredentialFragment(published[0]!.message, [AK, SK, TOKEN])).toBeUndefined();
  });
});
