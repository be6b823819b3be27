/**
 * JSON text read from a file or a variable: parsed, or what is wrong with it and where, as a line and a
 * column an editor can jump to. JSON.parse says "at position 138" for some mistakes and nothing for
 * others (`Unexpected token '}', "…" is not valid JSON`), so the place is found by a scan of our own.
 */

export type JsonParse = { ok: true; value: unknown } | { ok: false; reason: string };

export function parseJsonText(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    const offset = firstSyntaxError(text);
    const where = offset === undefined ? "" : ` at ${lineAndColumn(text, offset)}`;
    return { ok: false, reason: `${jsonErrorReason(err)}${where}` };
  }
}

/**
 * What JSON.parse found wrong, without the excerpt of the text V8 quotes (`Unexpected token 'x', "…" is
 * not valid JSON`) and without its position (the caller gives a line and a column): the text may hold a
 * secret pasted in the wrong place, and the excerpt cuts it short, past any scrubbing by value.
 */
export function jsonErrorReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (
    message
      .replace(/,?\s*(\.\.\.)?".*"(\.\.\.)? is not valid JSON$/s, "")
      .replace(/(\s+in JSON)?\s+at position \d+(\s*\(line \d+ column \d+\))?$/, "")
      .trim() || "unexpected text"
  );
}

/** `line 5, column 3` (both from 1) of a character offset. */
export function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - (before.lastIndexOf("\n") + 1) + 1;
  return `line ${line}, column ${column}`;
}

const WS = /[ \t\n\r]/;
const ESCAPE = /\\(["\\/bfnrt]|u[0-9a-fA-F]{4})/y;

/**
 * The offset of the first character that makes `text` invalid JSON (RFC 8259), `text.length` when it
 * ends too soon; undefined when it is valid. Iterative, so a deeply nested text cannot overflow it.
 */
export function firstSyntaxError(text: string): number | undefined {
  let i = 0;
  const skip = () => {
    while (i < text.length && WS.test(text[i]!)) i++;
  };
  const match = (re: RegExp): boolean => {
    re.lastIndex = i;
    if (!re.test(text)) return false;
    i = re.lastIndex;
    return true;
  };
  /** An object member's key and its colon. */
  const digits = (): boolean => {
    const start = i;
    while (i < text.length && text[i]! >= "0" && text[i]! <= "9") i++;
    return i > start;
  };
  /** A number, read up to the character that breaks it. */
  const number = (): boolean => {
    if (text[i] === "-") i++;
    if (text[i] === "0") i++;
    else if (!digits()) return false;
    if (text[i] === ".") {
      i++;
      if (!digits()) return false;
    }
    if (text[i] === "e" || text[i] === "E") {
      i++;
      if (text[i] === "+" || text[i] === "-") i++;
      if (!digits()) return false;
    }
    return true;
  };
  /** A string, read up to the character that breaks it. */
  const string = (): boolean => {
    i++;
    for (;;) {
      const c = text[i];
      if (c === undefined || c < " ") return false;
      if (c === '"') {
        i++;
        return true;
      }
      if (c === "\\") {
        if (!match(ESCAPE)) {
          i++;
          return false;
        }
      } else i++;
    }
  };
  const keyAndColon = (): boolean => {
    if (text[i] !== '"' || !string()) return false;
    skip();
    if (text[i] !== ":") return false;
    i++;
    skip();
    return true;
  };
  /**
   * One value: a scalar, or the opening of containers down to their first scalar (or an empty one,
   * closed at once); the loop below reads on from there. False where no value can start.
   */
  const value = (): boolean => {
    for (;;) {
      const c = text[i];
      if (c !== "[" && c !== "{") break;
      stack.push(c === "{" ? "}" : "]");
      i++;
      skip();
      if (text[i] === stack.at(-1)) {
        stack.pop();
        i++;
        return true;
      }
      if (c === "{" && !keyAndColon()) return false;
    }
    for (const literal of ["true", "false", "null"]) {
      if (text[i] !== literal[0]) continue;
      // Up to the first character that differs, as JSON.parse reports it.
      let n = 0;
      while (n < literal.length && text[i + n] === literal[n]) n++;
      i += n;
      return n === literal.length;
    }
    return text[i] === '"' ? string() : number();
  };
  const stack: string[] = [];
  skip();
  if (!value()) return i;
  for (;;) {
    skip();
    const close = stack.at(-1);
    if (close === undefined) return i < text.length ? i : undefined;
    if (text[i] === close) {
      stack.pop();
      i++;
      continue;
    }
    if (text[i] !== ",") return i;
    i++;
    skip();
    if (!(close === "}" ? keyAndColon() && value() : value())) return i;
  }
}
