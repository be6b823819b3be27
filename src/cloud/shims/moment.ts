/**
 * The slice of moment that sdk-core's AKSKSigner uses: `moment(x?).utcOffset(0).format("YYYYMMDDTHHmmss")`.
 * Aliased in place of moment in the function bundles only (esbuild.config.mjs): the full library is
 * 62 KB of bundle and cold start for one date format. A test proves it formats exactly like moment.
 */
const BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z?$/;

function toDate(input: unknown): Date {
  if (input === undefined) return new Date();
  if (input instanceof Date) return new Date(input.getTime());
  if (typeof input === "string") {
    const basic = BASIC.exec(input);
    if (basic) {
      const [, y, mo, d, h, mi, s] = basic.map(Number) as number[];
      return new Date(Date.UTC(y!, mo! - 1, d!, h!, mi!, s!));
    }
    const parsed = Date.parse(input);
    if (!Number.isNaN(parsed)) return new Date(parsed);
  }
  throw new Error(`moment shim: unsupported date input ${JSON.stringify(input)}`);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

class UtcMoment {
  constructor(private readonly date: Date) {}

  utcOffset(offset: number): UtcMoment {
    if (offset !== 0) throw new Error("moment shim: only utcOffset(0) is supported");
    return this;
  }

  format(pattern: string): string {
    if (pattern !== "YYYYMMDDTHHmmss") throw new Error(`moment shim: unsupported format ${pattern}`);
    const d = this.date;
    return `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}`;
  }
}

export default function moment(input?: unknown): UtcMoment {
  return new UtcMoment(toDate(input));
}
