export interface ConfigIssue {
  /** Where the problem is, e.g. `BINDINGS[2].weight` or `HUAWEICLOUD_SDK_REGION`. */
  path: string;
  message: string;
}

/** A bad environment or bindings list. Lists every problem at once, so one redeploy fixes them all. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly issues: readonly ConfigIssue[];
  constructor(issues: readonly ConfigIssue[]) {
    super(
      `Invalid configuration (${issues.length} problem${issues.length === 1 ? "" : "s"}):\n` +
        issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n"),
    );
    this.issues = issues;
  }

  /** The same problems with `clean` applied to every path and message (credentials scrubbed, …). */
  cleaned(clean: (text: string) => string): ConfigError {
    return new ConfigError(this.issues.map((i) => ({ path: clean(i.path), message: clean(i.message) })));
  }
}
