import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startEmulator } from "./index";
import { watchLaunchers } from "./launchers";
import type { MemberHealth } from "./model";

/**
 * The emulator on its own: `npm run emulator -- [options]` (or `npx tsx test/emulator/main.ts`).
 * Prints the URL and the PID to stop; Ctrl-C, `kill <pid>`, or killing the npm/npx/tsx process that
 * started it, all stop it and free the port.
 */

const USAGE = `Usage: npm run emulator -- [options]
       npx tsx test/emulator/main.ts [options]

The local cloud emulator (docs/emulator-spec.md) on 127.0.0.1: ROMA Connect / APIG VPC channels,
Auto Scaling, ECS, SMN and FunctionGraph, with signature checks. Prints its URL and PID; stop it
with Ctrl-C or kill <pid>.

Options:
  --port <n>                      port to listen on, default 4010 (0: any free port)
  --state <file>                  load this state (JSON, docs/emulator-spec.md "State")
  --project-id <id>               the project the signed requests must name, default proj-emulator
  --member-quota <n>              members per VPC channel (APIG.3110 beyond), default 10
  --latency-ms <n>                added to every API call, default 0
  --default-member-health <h>     health_status of new APIG members: healthy (default), unhealthy, unknown
  -h, --help                      show this help

Control API, at <url>/_emulator (plain JSON, no signature; docs/emulator-spec.md "Control API"):
  GET    /options                 the settings: memberQuota, latencyMs, defaultMemberHealth, pageSizeCap
  POST   /options                 change some: curl -X POST <url>/_emulator/options -d '{"memberQuota": 20}'
  GET    /state, POST /state      read the whole state, or replace it (the --state format)
  POST   /reset                   empty state, no faults, empty call log
  POST   /faults, DELETE /faults  arm a fault (or an array), or clear them all
  GET    /calls, DELETE /calls    the API calls received so far, or forget them
  POST   /instances, DELETE /instances/<group>/<id>, POST /hanging, POST /hook-timeout,
  POST   /member-health, POST /scaling-activity, PUT /scaling-groups/<group>/tags
A body with a key the call does not know is refused (400) with the key named; a bad value likewise.
`;

class UsageError extends Error {}

function parse() {
  try {
    return parseArgs({
      options: {
        port: { type: "string", default: "4010" },
        state: { type: "string" },
        "project-id": { type: "string" },
        "member-quota": { type: "string" },
        "latency-ms": { type: "string" },
        "default-member-health": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function wholeNumber(name: string, text: string | undefined, max: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new UsageError(`--${name} must be a whole number from 0 to ${max}, not "${text}"`);
  }
  return n;
}

const HEALTH: readonly string[] = ["healthy", "unhealthy", "unknown"];

async function main(): Promise<void> {
  const values = parse();
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const health = values["default-member-health"];
  if (health !== undefined && !HEALTH.includes(health)) {
    throw new UsageError(`--default-member-health must be healthy, unhealthy or unknown, not "${health}"`);
  }
  const state = values.state === undefined ? undefined : JSON.parse(readFileSync(values.state, "utf8"));
  const emulator = await startEmulator({
    port: wholeNumber("port", values.port, 65_535),
    projectId: values["project-id"],
    memberQuota: wholeNumber("member-quota", values["member-quota"], 1_000_000),
    latencyMs: wholeNumber("latency-ms", values["latency-ms"], 600_000),
    defaultMemberHealth: health as MemberHealth | undefined,
  });
  if (state !== undefined) emulator.control.load(state);

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.once(signal, stop);
  watchLaunchers(stop);

  console.log(emulator.url);
  console.log(`pid ${process.pid}: stop with Ctrl-C or kill ${process.pid}`);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`error: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
