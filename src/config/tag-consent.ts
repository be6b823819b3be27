import * as z from "zod/mini";
import { type ChannelRef, channelKey, type GatewayKind } from "../plan/identity";
import type { ConfigIssue } from "./errors";
import { ENV_KEYS } from "./keys";
import { RESOURCE_ID } from "./schema";
import { lazy } from "./zod";

/**
 * TAG_BINDINGS_ALLOWED: where a tag binding may point, set by whoever deploys the functions. Tagging an
 * AS group takes only AS rights; the agency can write any channel of the project. This list is the
 * gateway side's consent: a tag binding naming a channel it does not list is never acted on.
 */

/** One entry: a gateway instance and one of its VPC channels, or all of them (`*`). */
export interface AllowedChannels {
  gateway: GatewayKind;
  instance_id: string;
  /** A VPC channel id, or `*` for every channel of the instance. */
  vpc_channel_id: string;
}

export type TagBindingAllowList = readonly AllowedChannels[];

export const ALLOW_LIST_FORM =
  "<gateway>:<instance_id>/<vpc_channel_id> or <gateway>:<instance_id>/* (gateway roma or apig)";

/** Text worth quoting back in an error: shaped like an entry. A bare token could be a pasted secret. */
const QUOTABLE = /^[A-Za-z0-9_.*-]*[:/][A-Za-z0-9_.*:/-]*$/;

const quoted = (entry: string) =>
  entry.length <= 140 && QUOTABLE.test(entry)
    ? JSON.stringify(entry)
    : "(not quoted: not shaped like an entry)";

/** An entry's three parts, split at its first `:` and the first `/` after it. */
function partsOf(
  entry: string,
): { gateway: string; instance_id: string; vpc_channel_id: string } | undefined {
  const colon = entry.indexOf(":");
  const slash = entry.indexOf("/", colon + 1);
  if (colon < 0 || slash < 0) return undefined;
  return {
    gateway: entry.slice(0, colon),
    instance_id: entry.slice(colon + 1, slash),
    vpc_channel_id: entry.slice(slash + 1),
  };
}

/** What is wrong with one entry, or undefined when it is one. */
function entryProblem(entry: string): string | undefined {
  if (entry === "") return "is empty (two commas in a row, or one at either end)";
  const parts = partsOf(entry);
  if (parts === undefined) return `must be ${ALLOW_LIST_FORM}`;
  if (parts.gateway !== "roma" && parts.gateway !== "apig")
    return 'names a gateway other than "roma" or "apig"';
  if (!RESOURCE_ID.test(parts.instance_id))
    return "has an instance id that is not an id (letters, digits, - and _)";
  if (parts.vpc_channel_id !== "*" && !RESOURCE_ID.test(parts.vpc_channel_id))
    return 'has a VPC channel id that is neither an id (letters, digits, - and _) nor "*"';
  return undefined;
}

const EntrySchema = lazy(() =>
  z.pipe(
    z.string().check(
      z.superRefine((entry, ctx) => {
        const problem = entryProblem(entry);
        if (problem === undefined) return;
        ctx.addIssue({ code: "custom", message: entry === "" ? problem : `${quoted(entry)} ${problem}` });
      }),
    ),
    // Only a checked entry gets here: its parts are there and its gateway is one of the two.
    z.transform((entry) => partsOf(entry) as AllowedChannels),
  ),
);

/** The comma-separated list: entries trimmed of the blanks around them, at least one. */
const AllowListSchema = lazy(() =>
  z.pipe(
    z.pipe(
      z.string(),
      z.transform((text) => text.split(",").map((entry) => entry.trim())),
    ),
    z.array(EntrySchema()),
  ),
);

/** The entries of a TAG_BINDINGS_ALLOWED value, or every problem, each naming its entry. */
export function parseTagBindingsAllowed(raw: string): { entries: AllowedChannels[]; issues: ConfigIssue[] } {
  const parsed = AllowListSchema().safeParse(raw);
  if (parsed.success) return { entries: parsed.data, issues: [] };
  return {
    entries: [],
    issues: parsed.error.issues.map((issue) => ({
      path: `${ENV_KEYS.tagBindingsAllowed}[${String(issue.path[0] ?? 0)}]`,
      message: issue.message,
    })),
  };
}

/** Whether the list lets a tag binding point at this channel. */
export function allowsChannel(list: TagBindingAllowList, channel: ChannelRef): boolean {
  return list.some(
    (e) =>
      e.gateway === channel.gateway &&
      e.instance_id === channel.instance_id &&
      (e.vpc_channel_id === "*" || e.vpc_channel_id === channel.vpc_channel_id),
  );
}

/** An entry as it is written: `roma:<instance_id>/<vpc_channel_id>`. */
export const describeAllowed = (e: AllowedChannels): string =>
  `${e.gateway}:${e.instance_id}/${e.vpc_channel_id}`;

/** Why a tag binding's channel is refused, in the words of its dead letter. */
export function notAllowedRule(channel: ChannelRef): string {
  return `channel ${channelKey(channel)} is not in ${ENV_KEYS.tagBindingsAllowed} (where tag bindings may point; its entries read ${ALLOW_LIST_FORM})`;
}
