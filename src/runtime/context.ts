/**
 * The FunctionGraph context, as far as the contract lets us rely on it. Every method may be absent
 * (local runs, the CLI, tests), so each is optional and read defensively.
 */
export interface FunctionContext {
  getRequestID?(): string;
  getRemainingTimeInMilliSeconds?(): number;
  getSecurityAccessKey?(): string;
  getSecuritySecretKey?(): string;
  getSecurityToken?(): string;
  getUserData?(key: string): string | undefined;
  getFunctionName?(): string;
  getLogger?(): unknown;
}

export function requestIdOf(context: FunctionContext | undefined): string {
  const id = typeof context?.getRequestID === "function" ? context.getRequestID() : undefined;
  return typeof id === "string" && id !== "" ? id : `local-${Date.now().toString(36)}`;
}

export function functionNameOf(context: FunctionContext | undefined, fallback: string): string {
  const name = typeof context?.getFunctionName === "function" ? context.getFunctionName() : undefined;
  return typeof name === "string" && name !== "" ? name : fallback;
}
