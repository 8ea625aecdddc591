import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { equivalenceClasses, riskProfile } from "../../src/privacy/risk/index.js";

const ADULT = join(import.meta.dirname, "../../../shared/data/adult/adult.csv");

/** ARX's TestRiskMetrics compares uniqueness on four digits. */
const fourDigits = (v: number) => Math.trunc(v * 10000);

describe.skipIf(!existsSync(ADULT))(
  "risk: UCI Adult, all 9 attributes as quasi-identifiers (needs ../shared)",
  () => {
    // Read in beforeAll: a skipped describe still runs its body to collect the tests.
    let rows: string[][] = [];
    let sizes: ReturnType<typeof equivalenceClasses>["sizes"];
    beforeAll(() => {
      const lines = readFileSync(ADULT, "utf8").trim().split("\n");
      const header = lines[0]!.split(";");
      rows = lines.slice(1).map((line) => line.split(";"));
      sizes = equivalenceClasses(
        rows,
        header.map((_, i) => i),
      ).sizes;
    });

    it("has ARX's average prosecutor risk, exactly, and 51.43% sample-unique records", () => {
      expect(rows).toHaveLength(30162);
      const profile = riskProfile(sizes);
      expect(profile.prosecutor.averageRisk).toBe(0.6465751607983555);
      // ARX's RiskModelSampleRisks computes 1 / (records / classes): the same number.
      expect(1 / (profile.records / profile.classes)).toBe(0.6465751607983555);
      expect(profile.prosecutor.highestRisk).toBe(1);
      expect((profile.sampleUniqueness * 100).toFixed(2)).toBe("51.43");
      expect(profile.sampleUniqueness).toBe(0.5142895033485844);
      expect(profile.journalist).toEqual(profile.prosecutor);
      expect(profile.marketer.averageRisk).toBe(0.6465751607983555);
    });

    // ARX TestRiskMetrics.testDecisionRule2: Dankar's estimate for sampling fractions 0.1, 0.2, 0.01 and 1.
    it("population uniqueness by Dankar's rule as ARX computes it", () => {
      const at = (f: number) =>
        riskProfile(sizes, { population: { samplingFraction: f } }).populationUniqueness!;

      const tenth = at(0.1);
      expect(tenth.dankarModel).toBe("pitman");
      expect(fourDigits(tenth.fractions.dankar)).toBe(fourDigits(0.27684993883653597));
      expect(tenth.fractions.dankar).toBeCloseTo(0.27684993883653597, 10);
      expect(tenth.fractions.zayatz).toBe(0.3207402393466189);

      const fifth = at(0.2);
      expect(fifth.dankarModel).toBe("zayatz");
      expect(fifth.fractions.dankar).toBe(0.3577099234829125);

      const hundredth = at(0.01);
      expect(fourDigits(hundredth.fractions.dankar)).toBe(fourDigits(0.1446083531167384));
      expect(hundredth.fractions.dankar).toBeCloseTo(0.1446083531167384, 10);

      const whole = at(1);
      expect(whole.fractions.dankar).toBe(0.5142895033485844);
      for (const pu of [tenth, fifth, hundredth, whole]) {
        expect(fourDigits(pu.fractions.dankar)).toBeLessThanOrEqual(fourDigits(0.5142895033485844));
      }
    });
  },
);
