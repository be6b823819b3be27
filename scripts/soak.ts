/**
 * `npm run soak -- [--seed n] [--rounds n] [--quiet-rounds n] [--progress]`: a long random history
 * through the built bundles against the emulator, the contract's invariants checked every round
 * (test/soak/soak.ts). Prints one JSON line of figures; exits 1 on any violation, with the command that
 * replays the same choices on stderr.
 */
import { parseArgs } from "node:util";
import { runSoak } from "../test/soak/soak";

const USAGE = `Usage: npm run soak -- [options]

Options:
  --seed <n>          the seed every choice comes from (default: a new one, printed)
  --rounds <n>        rounds of random history (default 100)
  --quiet-rounds <n>  timer runs of the quiet phase before the convergence checks (default 3)
  --progress          one line per round on stderr
  --dump <dir>        write each round with a violation there (calls, logs, states before and after)
  -h, --help          show this help
`;

/** A bad command line: told with the usage, unlike a failure of the soak itself. */
class UsageError extends Error {
  override name = "UsageError";
}

function whole(name: string, text: string | undefined, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min)
    throw new UsageError(`--${name} must be a whole number >= ${min}, not "${text}"`);
  return n;
}

function options() {
  try {
    return parseArgs({
      options: {
        seed: { type: "string" },
        rounds: { type: "string" },
        "quiet-rounds": { type: "string" },
        progress: { type: "boolean" },
        dump: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

async function main(): Promise<number> {
  const { values } = options();
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const seed = whole("seed", values.seed, Math.floor(Math.random() * 2 ** 31), 0);
  const rounds = whole("rounds", values.rounds, 100, 0);
  const quietRounds = whole("quiet-rounds", values["quiet-rounds"], 3, 1);
  const figures = await runSoak({
    seed,
    rounds,
    quietRounds,
    ...(values.progress ? { progress: (line: string) => process.stderr.write(`${line}\n`) } : {}),
    ...(values.dump ? { dump: values.dump } : {}),
  });
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  if (figures.violations.count === 0) return 0;
  process.stderr.write(
    `soak: ${figures.violations.count} violation(s); replay: npm run soak -- --seed ${seed} --rounds ${rounds} --quiet-rounds ${quietRounds}\n`,
  );
  return 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`soak: ${err.message}\n\n${USAGE}`);
    else process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(2);
  },
);
