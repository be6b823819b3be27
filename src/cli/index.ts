/**
 * `channel-autoscaler`: the functions' code run from a shell. `plan` shows what a run would do, `sync`
 * and `backfill` do it, `validate` checks bindings, `replay` re-runs what dead letters could not do.
 */
import { EXIT, type ExitCode } from "./exit-codes";
import type { CliIo } from "./io";
import { buildProgram, reportError } from "./program";
import { scrubbingStream } from "./safe-output";

export type { CliIo } from "./io";

/** Runs one command line (without `node` and the script) and returns the exit code; never exits. */
export async function main(argv: readonly string[], rawIo: CliIo): Promise<ExitCode> {
  // Whatever the user pastes where, no credential of the environment is printed (--dotenv ones are
  // scrubbed where they are read: runner.ts).
  const io: CliIo = {
    ...rawIo,
    stdout: scrubbingStream(rawIo.stdout, rawIo.env),
    stderr: scrubbingStream(rawIo.stderr, rawIo.env),
  };
  const result: { code: ExitCode } = { code: 0 };
  try {
    await buildProgram(io, result, argv).parseAsync([...argv], { from: "user" });
    return result.code;
  } catch (err) {
    return reportError(err, io, argv);
  }
}

/** The bin entry: the real process's arguments, environment and streams. */
export async function runFromProcess(): Promise<void> {
  // Output piped into `head` and the like: a closed pipe ends the output, it is not a crash.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EPIPE") throw err;
      process.exit(process.exitCode ?? 0);
    });
  }
  const code = await main(process.argv.slice(2), {
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
    signals: process,
    exit: (c) => process.exit(c),
  });
  // An interrupted run may leave a call running past its wind-down: it is not waited for.
  if (code === EXIT.interrupted) process.exit(code);
  process.exitCode = code;
}
