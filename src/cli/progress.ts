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
  /**
   * Ends the progress and gives the terminal back as it was (the bar hides the cursor and turns line
   * wrap off while it runs). Safe to call again; ticks after it print nothing.
   */
  stop(): void;
}

export function createProgress(stream: CliStream, opts: { bar: boolean }): Progress {
  return opts.bar && stream.isTTY ? barProgress(stream) : lineProgress(stream);
}

function lineProgress(stream: CliStream): Progress {
  let total = 0;
  let done = 0;
  let stopped = false;
  return {
    start(n) {
      total = n;
    },
    tick(n, line) {
      done += n;
      if (!stopped) stream.write(`[${done}/${total}] ${line}\n`);
    },
    stop() {
      stopped = true;
    },
  };
}

function barProgress(stream: CliStream): Progress {
  const bar = new cliProgress.SingleBar(
    {
      format: "{bar} {value}/{total} bindings | {last}",
      stream: stream as NodeJS.WritableStream,
      hideCursor: true,
      linewrap: false,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let stopped = false;
  return {
    start(n) {
      bar.start(n, 0, { last: "" });
    },
    tick(n, line) {
      if (!stopped) bar.increment(n, { last: line });
    },
    stop() {
      if (stopped) return;
      stopped = true;
      // cli-progress shows the cursor and turns line wrap back on here.
      bar.stop();
    },
  };
}
