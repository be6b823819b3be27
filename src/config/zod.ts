/**
 * The functions validate with `zod/mini`: the same validation core as `zod` (the same checks, the same
 * issues), at a third of its bundle size and cold-start cost, but it installs no locale of its own.
 * Every module that builds schemas imports this one, so issue messages read exactly as with `zod`.
 */
import { en } from "zod/locales";
import { config } from "zod/mini";

config(en());

/** Builds a value on first use and keeps it: a schema a run never needs is never built. */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build();
    return value;
  };
}
