/** The command line was wrong or named a file that cannot be used: exit code 2, nothing was called. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
