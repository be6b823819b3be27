import type { FunctionContext } from "../../src/runtime/context";
import { invoke, type Summary } from "../../src/runtime/invoke";

/** FunctionGraph entry (handler `index.handler`): backfill trigger → reconcile → summary. */
export const handler = (event: unknown, context: FunctionContext): Promise<Summary> =>
  invoke("backfill", event, context);
