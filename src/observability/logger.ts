import type { LogLevel } from "../config/schema";
import { type SecretScrubber, scrubberFor } from "./scrub";

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Field names whose values never reach a log line, whatever they hold. */
const SECRET_KEYS =
  /^(authorization|x-security-token|security_?token|sk|ak|secret(_?key)?|access_?key|password|token)$/i;

export type LogFields = Record<string, unknown>;

export interface LoggerOptions {
  level: LogLevel;
  /** Values to scrub wherever they appear (AK, SK, security token). */
  secrets?: readonly string[];
  /** Fields on every line, e.g. request_id and function. */
  base?: LogFields;
  write?: (line: string) => void;
}

/** Fields nested deeper are cut: the walk, and JSON.stringify after it, stay bounded whatever is logged. */
export const MAX_FIELD_DEPTH = 20;
export const TOO_DEEP = "[too deep]";

/**
 * A copy of log fields with secret-named fields redacted. Past MAX_FIELD_DEPTH a value is replaced, not
 * kept as it is: kept, its secret-named fields would go unredacted, and a deep enough one would
 * overflow the stack in JSON.stringify. The copies have no prototype, so a key `__proto__` stays a field.
 */
function redactKeys(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_FIELD_DEPTH) return TOO_DEEP;
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map((v) => redactKeys(v, depth + 1));
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(value))
    out[k] = SECRET_KEYS.test(k) ? "[REDACTED]" : redactKeys(v, depth + 1);
  return out;
}

/** JSON-lines logger. Every line passes through redaction: secret-named fields and known secret values. */
export class Logger {
  private readonly scrubber: SecretScrubber;
  private readonly write: (line: string) => void;

  constructor(private readonly opts: LoggerOptions) {
    this.scrubber = scrubberFor(opts.secrets ?? []);
    this.write = opts.write ?? ((line) => process.stdout.write(`${line}\n`));
  }

  child(fields: LogFields): Logger {
    return new Logger({ ...this.opts, base: { ...this.opts.base, ...fields } });
  }

  /**
   * Scrubs known secret values, their encoded forms and any 16-character fragment of them
   * (./scrub.ts), and anything shaped like a request signature (an API may echo the request's
   * Authorization header in an error body), out of any text; also used on dead-letter JSON before it
   * is published.
   */
  scrub(text: string): string {
    return this.scrubber.scrub(text);
  }

  enabled(level: LogLevel): boolean {
    return ORDER[level] >= ORDER[this.opts.level];
  }

  log(level: LogLevel, msg: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return;
    this.raw({ time: new Date().toISOString(), level, msg, ...this.opts.base, ...fields });
  }

  /** Writes one record as it is (after redaction), e.g. a dead-letter record. */
  raw(record: LogFields): void {
    this.write(this.scrub(JSON.stringify(redactKeys(record))));
  }

  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }
}
