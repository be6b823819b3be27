import { type CliIo, main } from "../../src/cli/index";

/** Runs the operator CLI in-process, as `channel-autoscaler <argv>` in `cwd`, capturing what it prints. */
export async function runCli(argv: string[], env: Record<string, string>, cwd: string) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    env,
    cwd,
    stdout: { write: (s: string) => (stdout += s), isTTY: false },
    stderr: { write: (s: string) => (stderr += s), isTTY: false },
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
