/**
 * Command lines the CLI prints for the operator to run next: quoted for a POSIX shell, and starting with
 * `npx channel-autoscaler`, which runs the repository's own bin from its root (README, "Try the CLI").
 */
const PLAIN = /^[A-Za-z0-9_/.,:=@%+-]+$/;

/** One shell word: as is when it is plain, else single-quoted. */
export function shellWord(word: string): string {
  return PLAIN.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

export const CLI_COMMAND = "npx channel-autoscaler";

/** `npx channel-autoscaler <args>`, quoted. */
export function cliCommand(args: readonly string[]): string {
  return [CLI_COMMAND, ...args.map(shellWord)].join(" ");
}

/** The configuration options of a run, to carry over into the command printed next. */
export interface ConfigSources {
  dotenv?: string;
  bindings?: string;
}

export function sourceArgs(sources: ConfigSources): string[] {
  return [
    ...(sources.dotenv !== undefined ? ["--dotenv", sources.dotenv] : []),
    ...(sources.bindings !== undefined ? ["--bindings", sources.bindings] : []),
  ];
}
