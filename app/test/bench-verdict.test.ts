import { medianInterval, MIN_ROUNDS, overheadVerdict } from "../../scripts/bench-api";

describe("bench:api overhead verdict", () => {
  it("gives the sign-test interval of the median: 2nd smallest to 2nd largest of 10 rounds (97.9%)", () => {
    const ratios = [1.0, 1.01, 0.99, 1.02, 1.03, 0.98, 1.04, 1.0, 1.01, 1.2];

    const interval = medianInterval(ratios);

    expect(interval?.low).toBe(0.99);
    expect(interval?.high).toBe(1.04);
    expect(interval?.coverage).toBeCloseTo(0.9785, 4);
  });

  it("has no 95% interval for 5 rounds", () => {
    expect(medianInterval([1, 1, 1, 1, 1])).toBeUndefined();
  });

  it("refuses a verdict below the minimum number of rounds, however good they look", () => {
    // The report that prompted this: 2 rounds, ratios 0.93 and 1.14, declared within budget.
    expect(overheadVerdict([0.93, 1.14])).toBe(`no verdict: 2 rounds, at least ${MIN_ROUNDS} are needed (--rounds)`);
    expect(overheadVerdict(Array.from({ length: MIN_ROUNDS - 1 }, () => 1))).toMatch(/^no verdict/);
  });

  it("says within only when the whole interval is at or below 1.05", () => {
    expect(overheadVerdict([1.0, 1.01, 1.02, 1.0, 1.03, 1.01, 1.02, 1.04, 1.0, 1.01])).toBe(
      "within the 5% goal (95% interval of the median 1.000 to 1.030)",
    );
  });

  it("says inconclusive when the interval straddles 1.05", () => {
    expect(overheadVerdict([0.93, 1.14, 0.97, 1.1, 1.0, 1.08, 1.02, 1.06, 0.95, 1.12])).toBe(
      "inconclusive: the 95% interval of the median 0.950 to 1.120 straddles 1.05; run more rounds on a quieter machine",
    );
  });

  it("says over when the whole interval is above 1.05", () => {
    expect(overheadVerdict([1.1, 1.12, 1.09, 1.15, 1.11, 1.1, 1.13, 1.08, 1.2, 1.1])).toBe(
      "OVER the 5% goal (95% interval of the median 1.090 to 1.150)",
    );
  });
});
