import type { Credentials } from "../cloud/credentials";
import { ConfigError, type ConfigIssue } from "../config/errors";
import { ENV_KEYS } from "../config/keys";
import { type Config, type EnvReader, loadConfig } from "../config/load";

/** Context agency credentials when present and non-empty, else the HUAWEICLOUD_SDK_* variables. */
export function resolveCredentials(
  context:
    | {
        getSecurityAccessKey?: () => unknown;
        getSecuritySecretKey?: () => unknown;
        getSecurityToken?: () => unknown;
      }
    | undefined,
  read: EnvReader,
): Credentials {
  const call = (fn: (() => unknown) | undefined): string | undefined => {
    if (typeof fn !== "function") return undefined;
    const value = fn.call(context);
    return typeof value === "string" && value !== "" ? value : undefined;
  };
  const ak = call(context?.getSecurityAccessKey);
  const sk = call(context?.getSecuritySecretKey);
  if (ak && sk) {
    const token = call(context?.getSecurityToken);
    return token ? { ak, sk, securityToken: token } : { ak, sk };
  }
  const envAk = read(ENV_KEYS.ak);
  const envSk = read(ENV_KEYS.sk);
  if (!envAk || !envSk) {
    throw new ConfigError([
      {
        path: `${ENV_KEYS.ak}/${ENV_KEYS.sk}`,
        message:
          "no credentials: give the function an agency (the context then carries temporary keys) or set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK",
      },
    ]);
  }
  const envToken = read(ENV_KEYS.securityToken);
  return envToken ? { ak: envAk, sk: envSk, securityToken: envToken } : { ak: envAk, sk: envSk };
}

/**
 * The configuration and the credentials, checked together: one ConfigError lists every problem of
 * both. Used by every function invocation and by the CLI.
 */
export function loadConfigAndCredentials(
  context: Parameters<typeof resolveCredentials>[0],
  read: EnvReader,
): { config: Config; credentials: Credentials } {
  const issues: ConfigIssue[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
      return undefined;
    }
  };
  const config = collect(() => loadConfig(read));
  const credentials = collect(() => resolveCredentials(context, read));
  if (!config || !credentials) throw new ConfigError(issues);
  return { config, credentials };
}
