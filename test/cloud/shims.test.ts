import fc from "fast-check";
import _ from "lodash";
import realMoment from "moment";
import { describe, expect, it } from "vitest";
import { sortBy } from "../../src/cloud/shims/lodash";
import moment from "../../src/cloud/shims/moment";

// The bundles alias lodash and moment to these shims for sdk-core's signer; they must agree exactly.
describe("signer shims", () => {
  it("sortBy sorts exactly like lodash.sortBy (stable, by the iteratee)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 6 })), (keys) => {
        const by = (x: string) => x.toLocaleLowerCase();
        expect(sortBy(keys, by)).toEqual(_.sortBy(keys, by));
      }),
      { numRuns: 1000 },
    );
  });

  it("formats dates exactly like moment(x).utcOffset(0).format(YYYYMMDDTHHmmss)", () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date("1970-01-01"), max: new Date("2200-01-01"), noInvalidDate: true }),
        (d) => {
          const want = realMoment(d).utcOffset(0).format("YYYYMMDDTHHmmss");
          expect(moment(d).utcOffset(0).format("YYYYMMDDTHHmmss")).toBe(want);
          expect(moment(d.toISOString()).utcOffset(0).format("YYYYMMDDTHHmmss")).toBe(want);
          expect(moment(`${want}Z`).utcOffset(0).format("YYYYMMDDTHHmmss")).toBe(want);
        },
      ),
      { numRuns: 1000 },
    );
    expect(moment().utcOffset(0).format("YYYYMMDDTHHmmss")).toMatch(/^\d{8}T\d{6}$/);
  });

  it("refuses what it does not implement instead of guessing", () => {
    expect(() => moment().format("YYYY-MM-DD")).toThrow(/unsupported format/);
    expect(() => moment("not a date")).toThrow(/unsupported date input/);
  });
});
