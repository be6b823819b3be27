import type { EmulatorContext } from "./context";
import { codeError } from "./errors";
import type { ApiRequest, ApiResponse, Route, Router } from "./http";
import { newHexId } from "./ids";
import { isRecord } from "./validators";

/** SMN (`/v2/{project_id}/notifications/...`): publish to a topic; messages are kept on the topic. */

/**
 * SMN's publish limits (official SDK model `PublishMessageRequestBody`): a UTF-8
 * message of at most 256 KB and a subject of at most 512 bytes; larger ones are refused.
 */
export const SMN_LIMITS = { messageBytes: 256 * 1024, subjectBytes: 512 } as const;

export function createSmnRouter(ctx: EmulatorContext): Router {
  return (method, params): Route | undefined => {
    const [notifications, topics, topicUrn, action, extra] = params;
    if (method !== "POST" || notifications !== "notifications" || topics !== "topics") return undefined;
    if (!topicUrn || action !== "publish" || extra !== undefined) return undefined;
    return { handle: (req) => publish(ctx, topicUrn, req) };
  };
}

function publish(ctx: EmulatorContext, topicUrn: string, req: ApiRequest): ApiResponse {
  const topic = ctx.world.topics.get(topicUrn);
  if (!topic) throw codeError(404, "SMN.0011", "Topic not found");
  const body = isRecord(req.body) ? req.body : {};
  const { message, subject } = body;
  if (typeof message !== "string" || message === "") throw codeError(400, "SMN.0004", "The message is empty");
  if (Buffer.byteLength(message, "utf8") > SMN_LIMITS.messageBytes) {
    throw codeError(
      400,
      "SMN.0004",
      `Invalid parameter: message is larger than ${SMN_LIMITS.messageBytes} bytes`,
    );
  }
  if (subject !== undefined && typeof subject !== "string") {
    throw codeError(400, "SMN.0004", "Invalid parameter: subject");
  }
  if (typeof subject === "string" && Buffer.byteLength(subject, "utf8") > SMN_LIMITS.subjectBytes) {
    throw codeError(
      400,
      "SMN.0004",
      `Invalid parameter: subject is longer than ${SMN_LIMITS.subjectBytes} bytes`,
    );
  }
  const messageId = newHexId();
  topic.messages.push({
    ...(typeof subject === "string" && { subject }),
    message,
    message_id: messageId,
    time: ctx.clock.nowIso(),
  });
  return { status: 200, body: { request_id: newHexId(), message_id: messageId } };
}
