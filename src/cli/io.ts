import { appendFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import type { ConfigIssue } from "../config/errors";
import type { SignalSource } from "./interrupt";
import type { CliStream } from "./progress";
import { escapeControlsInJson } from "./safe-output";

/** What a command line runs with: the environment, the streams, the working directory. */
export interface CliIo {
  env: NodeJS.ProcessEnv;
  stdout: CliStream;
  stderr: CliStream;
  cwd: string;
  /** Where SIGINT and SIGTERM are heard during a run (the process; absent: not handled). */
  signals?: SignalSource;
  /** Ends the process now: a second Ctrl-C does not wait for the run. */
  exit?: (code: number) => void;
}

/** The options every command takes. */
export interface GlobalOptions {
  bindings?: string;
  dotenv?: string;
  /** The old name of --dotenv, still read: Node.js 20 reads `--env-file` itself (see the option). */
  envFile?: string;
  json?: boolean;
  verbose?: boolean;
  logFile?: string;
}

/** The env file a command names: --dotenv, or its old name --env-file. */
export const dotenvOf = (opts: GlobalOptions) => opts.dotenv ?? opts.envFile;

/** One entry of `errors` in a --json document. */
export interface JsonError {
  name: string;
  message: string;
  issues?: readonly ConfigIssue[];
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${escapeControlsInJson(JSON.stringify(value, null, 2))}\n`);
}

/** The JSON log lines of the functions' code: kept off the terminal unless --verbose, or in --log-file. */
export function logSink(opts: GlobalOptions, io: CliIo): (line: string) => void {
  const file = opts.logFile ? path.resolve(io.cwd, opts.logFile) : undefined;
  if (file) mkdirSync(path.dirname(file), { recursive: true });
  return (raw) => {
    const line = escapeControlsInJson(raw);
    if (opts.verbose) io.stderr.write(`${line}\n`);
    if (file) appendFileSync(file, `${line}\n`);
  };
}
