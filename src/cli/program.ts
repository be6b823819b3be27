import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { version } from "../../package.json";
import { ConfigError } from "../config/errors";
import { EXIT, type ExitCode, exitCodeForError } from "./exit-codes";
import { parseDeadLetters, readTextFile, replayGroups } from "./inputs";
import { type CliIo, type JsonError, printJson } from "./io";
import { formatTable } from "./plan-table";
import { FUNCTION_TIMEOUT_S, type RunOptions, type RunSpec, runCommand } from "./run-command";
import { printableText } from "./safe-output";
import { validateCommand } from "./validate-command";

const COMMANDS = ["plan", "sync", "backfill", "validate", "replay"] as const;

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 86_400) {
    throw new InvalidArgumentError("must be a whole number of seconds from 1 to 86400");
  }
  return n;
}

/** The examples each command's --help ends with. */
const EXAMPLES: Record<(typeof COMMANDS)[number], string[]> = {
  plan: [
    "npx channel-autoscaler plan --dotenv cloud.env --bindings bindings.json",
    "npx channel-autoscaler plan --bindings infra/examples/basic/terraform.tfvars.json --group <scaling group id>",
    "npx channel-autoscaler plan --json --bindings bindings.json > plan.json",
  ],
  sync: [
    "npx channel-autoscaler sync --dotenv cloud.env --bindings bindings.json --dead-letter-file dead-letters.json",
    "npx channel-autoscaler sync --bindings terraform.tfvars.json --group <scaling group id>",
  ],
  backfill: [
    "npx channel-autoscaler backfill --group <scaling group id> --dry-run --bindings bindings.json",
    "npx channel-autoscaler backfill --group <id> <id> --bindings bindings.json --dead-letter-file dl.json",
  ],
  validate: [
    "npx channel-autoscaler validate bindings.json",
    "npx channel-autoscaler validate infra/examples/basic/terraform.tfvars.json",
    "terraform output -json > outputs.json && npx channel-autoscaler validate outputs.json",
  ],
  replay: [
    "npx channel-autoscaler replay dead-letters.json --dotenv cloud.env --bindings bindings.json",
    "npx channel-autoscaler replay function-log.txt --dry-run --bindings bindings.json",
  ],
};

const INTERRUPT_HELP =
  "Ctrl-C (or SIGTERM) stops the run starting new calls, lets those in flight finish, reports what was done and what is left, and exits 130; Ctrl-C again exits at once.";

function examplesOf(command: (typeof COMMANDS)[number], writes: boolean): string {
  return `\nExamples:\n${EXAMPLES[command].map((e) => `  ${e}`).join("\n")}\n${writes ? `\n${INTERRUPT_HELP}\n` : ""}`;
}

function replayPreface(file: string, records: ReturnType<typeof parseDeadLetters>) {
  return () =>
    `Replaying ${records.length} dead letter${records.length === 1 ? "" : "s"} from ${file}:\n` +
    `${formatTable(
      records.map((r) => [
        r.action,
        r.binding?.scaling_group_id ?? "(every binding)",
        `${r.error.code}${r.error.status === null ? "" : ` ${r.error.status}`}`,
        r.time ?? "",
      ]),
    )}\n\n`;
}

/**
 * The commander program for one command line (`argv`, without `node` and the script); every action
 * stores its exit code in `result.code`.
 */
export function buildProgram(io: CliIo, result: { code: ExitCode }, argv: readonly string[] = []): Command {
  const json = argv.includes("--json");
  const program = new Command("channel-autoscaler")
    .description(
      "Keep VPC channel members equal to Auto Scaling groups, from a shell: the functions' own code and " +
        "configuration (BINDINGS, HUAWEICLOUD_SDK_REGION, HUAWEICLOUD_SDK_PROJECT_ID, *_ENDPOINT, ...). " +
        "Credentials: HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK (and HUAWEICLOUD_SDK_SECURITY_TOKEN).",
    )
    .version(version)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      // With --json the error is reported once, in the JSON document (reportError).
      writeErr: (s) => (json ? undefined : io.stderr.write(s)),
    })
    .showHelpAfterError("(add --help for usage)")
    .configureHelp({ showGlobalOptions: true })
    .option(
      "--bindings <file>",
      "read the bindings from a file (overrides BINDINGS): a JSON array, a terraform.tfvars.json, or `terraform output -json`",
    )
    .option("--dotenv <file>", "read KEY=value lines into the environment (they override it)")
    // Node.js 20 reads an `--env-file` argument itself, even after the script name (nodejs/node#54232):
    // a missing file then ends the process with exit code 9 before the CLI runs. Still accepted when it exists.
    .addOption(new Option("--env-file <file>", "old name of --dotenv").hideHelp())
    .option("--json", "print one JSON document on stdout instead of tables")
    .option("-v, --verbose", "also print the functions' JSON log lines on stderr")
    .option("--log-file <file>", "append the functions' JSON log lines to a file")
    .addHelpText(
      "after",
      "\nExit codes: 0 done (or planned) with nothing dead-lettered; 1 failures or dead letters; 2 bad usage, file or configuration; 130 interrupted.",
    );

  const timeoutOption = (cmd: Command) =>
    cmd.addOption(
      new Option(
        "--timeout <seconds>",
        "time each run may take, as a deployed function's timeout does (the default is the Terraform module's)",
      )
        .argParser(seconds)
        .default(FUNCTION_TIMEOUT_S),
    );
  const runOptions = (cmd: Command) =>
    timeoutOption(cmd).option(
      "--dead-letter-file <file>",
      "write the run's dead-letter records to a JSON file (for replay)",
    );

  const optsOf = (cmd: Command) => {
    const o = cmd.optsWithGlobals<RunOptions>();
    if (o.envFile !== undefined && o.dotenv === undefined && !o.json) {
      io.stderr.write(
        "warning: --env-file is also read by Node.js 20 itself (a missing file exits 9 before the CLI starts); use --dotenv\n",
      );
    }
    return o;
  };

  /** A command that runs the functions' code over the bindings: its options, then one `run`. */
  const addRunCommand = (
    name: "plan" | "sync" | "backfill",
    description: string,
    options: (cmd: Command) => Command,
    spec: (o: RunOptions) => Omit<RunSpec, "command">,
  ) =>
    options(program.command(name).description(description))
      .addHelpText("after", examplesOf(name, name !== "plan"))
      .action(async (_opts, cmd: Command) => {
        const o = optsOf(cmd);
        result.code = await runCommand({ command: name, ...spec(o) }, o, io, argv);
      });
  const groupOption = (cmd: Command) =>
    cmd.option("--group <id...>", "only the bindings of these scaling groups");

  // A plan writes nothing, so it has nothing to replay: no --dead-letter-file.
  addRunCommand(
    "plan",
    "dry run: show per binding the members to add, update, disable and delete, and the hooks to complete",
    (cmd) =>
      timeoutOption(groupOption(cmd)).addOption(
        // Said to be needless rather than unknown: a plan never writes.
        new Option("--dry-run", "plan is always a dry run").hideHelp(),
      ),
    (o) => {
      if (o.dryRun && !o.json)
        io.stderr.write("note: plan is always a dry run (it writes nothing); --dry-run is not needed\n");
      return { groups: o.group ?? "all", dryRun: true, batched: false };
    },
  );
  addRunCommand(
    "sync",
    "reconcile every binding now (one run per independent set of channels, with progress)",
    (cmd) => runOptions(groupOption(cmd)),
    (o) => ({ groups: o.group ?? "all", dryRun: false, batched: true }),
  );
  addRunCommand(
    "backfill",
    "reconcile the bindings of the given scaling groups (the backfill function's payload)",
    (cmd) =>
      runOptions(
        cmd
          .requiredOption("--group <id...>", "scaling group ids")
          .option("--dry-run", "plan only, write nothing"),
      ),
    (o) => ({ groups: o.group ?? [], dryRun: o.dryRun ?? false, batched: true }),
  );

  program
    .command("validate")
    .description(
      "check a bindings file (or BINDINGS) and print every problem; with BINDINGS_FROM_TAGS=true, also the tagged groups",
    )
    .argument(
      "[file]",
      "bindings file: a JSON array, a terraform.tfvars.json, or `terraform output -json` (default: --bindings, then BINDINGS)",
    )
    .addHelpText("after", examplesOf("validate", false))
    .action(async (file: string | undefined, _opts, cmd: Command) => {
      result.code = await validateCommand(file, optsOf(cmd), io);
    });

  runOptions(
    program
      .command("replay")
      .description("run again what dead-letter records could not do (their replay payloads)")
      .argument("<dead-letter-file>", "a record, an array of records, or log lines holding them")
      .option("--dry-run", "plan only, write nothing")
      .addHelpText("after", examplesOf("replay", true)),
  ).action(async (file: string, _opts, cmd: Command) => {
    const o = optsOf(cmd);
    const records = parseDeadLetters(readTextFile(file, io.cwd, "dead-letter file"), file);
    result.code = await runCommand(
      {
        command: "replay",
        groups: replayGroups(records),
        dryRun: o.dryRun ?? false,
        batched: true,
        preface: replayPreface(file, records),
      },
      o,
      io,
      argv,
    );
  });

  return program;
}

/**
 * Prints an error the way the output mode asks, and returns its exit code. With --json, the document
 * has the shape of every other exit: `command`, `exit_code` and `errors`.
 */
export function reportError(err: unknown, io: CliIo, argv: readonly string[]): ExitCode {
  const code = exitCodeForError(err);
  const json = argv.includes("--json");
  // Commander has printed its own message (or the help) already.
  if (err instanceof CommanderError && (!json || code === EXIT.ok)) return code;
  const e = err instanceof Error ? err : new Error(String(err));
  if (json) {
    const error: JsonError =
      err instanceof CommanderError
        ? { name: "UsageError", message: err.message.replace(/^error: /, "") }
        : {
            name: e.name,
            message: e.message,
            ...(err instanceof ConfigError ? { issues: err.issues } : {}),
          };
    printJson(io, {
      command: argv.find((a) => (COMMANDS as readonly string[]).includes(a)) ?? null,
      exit_code: code,
      errors: [error],
    });
  } else {
    // The message may quote a server's answer (a failed tag discovery): no control reaches the terminal.
    io.stderr.write(`error: ${printableText(e.message)}\n`);
    if (code === EXIT.failed && argv.includes("--verbose") && e.stack) io.stderr.write(`${e.stack}\n`);
  }
  return code;
}
