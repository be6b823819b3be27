import cliProgress from "cli-progress";

/** Where the CLI writes; tests pass plain objects, the real run passes process.stdout / stderr. */
export interface CliStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** Progress over the bindings of a run: a bar on a terminal, one plain line per step otherwise. */
export interface Progress {
  start(total: number): void;
  /** `done` bindings finished; `line` says how they went. */
  tick(done: number, line: string): void;
  stop(): void;
}

export function createProgress(stream: CliStream, opts: { bar: boolean }): Progress {
  return opts.bar && stream.isTTY ? barProgress(stream) : lineProgress(stream);
}

function lineProgress(stream: CliStream): Progress {
  let total = 0;
  let done = 0;
  return {
    start(n) {
      total = n;
    },
    tick(n, line) {
      done += n;
      stream.write(`[${done}/${total}] ${line}\n`);
    },
    stop() {},
  };
}

function barProgress(stream: CliStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: "{bar} {value}/{total} bindings | {last}",
      stream: stream as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  return {
    start(n) {
      bar.start(n, 0, { last: "" });
    },
    tick(n, line) {
      bar.increment(n, { last: line });
    },
    stop() {
      bar.stop();
    },
  };
}
