import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startEmulator } from "./index";
import type { MemberHealth } from "./model";

/**
 * CLI: `npx tsx test/emulator/main.ts [--port 4010] [--state state.json] [--project-id p]
 * [--member-quota n] [--latency-ms n] [--default-member-health healthy]`. Prints the URL; Ctrl-C stops.
 */

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "4010" },
    state: { type: "string" },
    "project-id": { type: "string" },
    "member-quota": { type: "string" },
    "latency-ms": { type: "string" },
    "default-member-health": { type: "string" },
  },
});

const number = (text: string | undefined) => (text === undefined ? undefined : Number(text));

async function main(): Promise<void> {
  const emulator = await startEmulator({
    port: number(values.port),
    projectId: values["project-id"],
    memberQuota: number(values["member-quota"]),
    latencyMs: number(values["latency-ms"]),
    defaultMemberHealth: values["default-member-health"] as MemberHealth | undefined,
  });
  if (values.state) emulator.control.load(JSON.parse(readFileSync(values.state, "utf8")));
  console.log(emulator.url);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      emulator.close().then(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
