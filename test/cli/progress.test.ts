import { describe, expect, it } from "vitest";
import { createProgress } from "../../src/cli/progress";

describe("progress", () => {
  it("off a terminal: one plain line per step with the running count", () => {
    let out = "";
    const p = createProgress({ write: (s: string) => (out += s), isTTY: false }, { bar: true });
    p.start(3);
    p.tick(2, "a: ok");
    p.tick(1, "b: ok");
    p.stop();
    expect(out).toBe("[2/3] a: ok\n[3/3] b: ok\n");
  });

  it("on a terminal: a bar over the bindings", () => {
    let out = "";
    const tty = {
      isTTY: true,
      columns: 100,
      write: (s: string) => {
        out += s;
        return true;
      },
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
      clearScreenDown: () => true,
    };
    const p = createProgress(tty, { bar: true });
    p.start(2);
    p.tick(1, "asg-1: ok");
    p.stop();
    expect(out).toMatch(/[░█]+ \d\/2 bindings/);
    expect(out).not.toContain("[1/2]");
  });
});
