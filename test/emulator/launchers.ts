import { readFileSync } from "node:fs";

/**
 * Stops the emulator when whatever launched it goes away. Started as `npm run emulator` or `npx tsx
 * test/emulator/main.ts`, the server runs under npm, `sh -c` and tsx's own parent process; killing
 * the npm/npx PID (the one a shell reports for a background job) does not reach it, and it would keep
 * the port (the next start then fails with EADDRINUSE).
 */

/** Parent and state of a process from /proc (Linux); undefined where there is no /proc or it is gone. */
function procStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after the last ")".
    const [state, ppid] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(ppid), state: state ?? "" };
  } catch {
    return undefined;
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
  } catch {
    return "";
  }
}

/** npm run / npm exec (npx), or any process whose command line runs this entry (sh -c, tsx). */
const LAUNCHER = /^npm (run|run-script|exec|x)\b|(^|\/)npx(-cli\.js)? |test\/emulator\/main\.ts/;

/** The chain of launcher processes above this one, nearest first; stops at the first other process. */
export function launcherChain(): number[] {
  const chain: number[] = [];
  let pid = process.ppid;
  while (pid > 1 && LAUNCHER.test(commandLine(pid))) {
    chain.push(pid);
    const parent = procStat(pid)?.ppid;
    if (parent === undefined) break;
    pid = parent;
  }
  return chain;
}

function gone(pid: number): boolean {
  const stat = procStat(pid);
  if (stat) return stat.state === "Z" || stat.state === "X";
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Calls `stop` once the parent, or any launcher above this process, has exited. */
export function watchLaunchers(stop: () => void, intervalMs = 250): void {
  const parent = process.ppid;
  const chain = launcherChain();
  const timer = setInterval(() => {
    if (process.ppid !== parent || chain.some(gone)) {
      clearInterval(timer);
      stop();
    }
  }, intervalMs);
  timer.unref();
}
