import { describe, expect, it } from "vitest";
import type { Member } from "../../src/cloud/gateway";
import { deletesStillDue } from "../../src/plan/deletes-still-due";

const member = (id: string, status: number, ecs_id = `i-${id}`): Member => ({ id, ecs_id, status });

describe("deletesStillDue", () => {
  it("deletes only what is still listed and still disabled", () => {
    const planned = [member("a", 2), member("b", 2), member("c", 2), member("d", 1)];
    const listed = [
      member("a", 2),
      member("b", 1),
      member("d", 2),
      // Re-added meanwhile for c's instance: a new member, never planned, never touched.
      member("c2", 1, "i-c"),
    ];
    const sorted = deletesStillDue(planned, listed);
    expect(sorted.due.map((m) => m.id)).toEqual(["a", "d"]);
    expect(sorted.reenabled.map((m) => m.id)).toEqual(["b"]);
    expect(sorted.gone.map((m) => m.id)).toEqual(["c"]);
  });

  it("a member listed without a status is taken as enabled, as the planner takes it", () => {
    expect(deletesStillDue([member("a", 2)], [{ id: "a", ecs_id: "i-a" }]).reenabled).toHaveLength(1);
  });
});
