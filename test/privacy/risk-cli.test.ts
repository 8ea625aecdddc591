import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { RiskCommandError, riskCommand, riskCommands, sniffDelimiter } from "../../src/cli/risk.js";

const FIXTURES = "test/privacy/fixtures/risk";
const fixture = (name: string) => join(FIXTURES, name);
const dir = mkdtempSync(join(tmpdir(), "learnpool-risk-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

function capture() {
  const lines: string[] = [];
  return { print: (line: string) => lines.push(line), text: () => lines.join("\n") };
}

describe("learnpool risk", () => {
  it("prints the measures and charts of ARX's example before and after 2-anonymity, and writes the report", () => {
    const out = capture();
    const report = riskCommand(
      {
        in: fixture("example.csv"),
        after: fixture("example-2anonymous.csv"),
        qi: ["age", "gender", "zipcode"],
        populationFraction: 0.2,
        report: at("example.json"),
        svg: at("example.svg"),
      },
      out.print,
    );
    const text = out.text();
    expect(text).toContain("before: 7 rows, 0 suppressed, 7 equivalence classes");
    expect(text).toContain("after: 7 rows, 0 suppressed, 3 equivalence classes");
    expect(text).toContain("prosecutor risk   average 1  highest 1");
    expect(text).toContain("prosecutor risk   average 0.42857142857142855  highest 0.5");
    expect(text).toContain("sample uniqueness 100.00%");
    expect(text).toContain(
      "population uniqueness (fraction 0.2000, population 35): 100.00% by Dankar's rule",
    );
    expect(text).toContain("0.00% by Dankar's rule (none)");
    expect(text).toContain("Records by equivalence-class size");
    expect(text).toMatch(/\n {5}1 before │█{40} 100\.00%\n/);
    expect(text).toMatch(/\n {5}3 before │ 0\.00%\n {7}after {2}│▒{17} 42\.86%/);

    const written = JSON.parse(readFileSync(at("example.json"), "utf8"));
    expect(written).toEqual(JSON.parse(JSON.stringify(report)));
    expect(written.format).toBe("learnpool-risk/1");
    expect(written.quasiIdentifiers).toEqual(["age", "gender", "zipcode"]);
    expect(written.tables.map((t: { name: string }) => t.name)).toEqual(["before", "after"]);
    const after = written.tables[1];
    expect(after.prosecutor).toEqual({
      recordsAtRisk: 1,
      highestRisk: 0.5,
      averageRisk: 0.42857142857142855,
    });
    expect(after.classSizeFrequencies).toEqual([
      { size: 2, count: 2 },
      { size: 3, count: 1 },
    ]);
    expect(after.populationUniqueness.fractions.dankar).toBe(0);
    expect(written.charts).toHaveLength(3);
    expect(written.tables[0].riskDistribution.at(-1)).toEqual({
      low: 0.5,
      high: 1,
      records: 1,
      cumulative: 1,
    });

    const svg = readFileSync(at("example.svg"), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Records by prosecutor risk");
  });

  it("leaves suppressed records out and uses a population table for journalist and marketer risk", () => {
    const out = capture();
    const report = riskCommand(
      {
        in: fixture("learners.csv"),
        qi: ["course", "year", "postcode"],
        threshold: 0.4,
        population: fixture("learners-population.csv"),
      },
      out.print,
    );
    const t = report.tables[0]!;
    expect(t.name).toBe("input");
    expect(t.rows).toBe(8);
    expect(t.suppressed).toBe(1);
    expect(t.records).toBe(7);
    expect(t.prosecutor).toEqual({ recordsAtRisk: 4 / 7, highestRisk: 1, averageRisk: 4 / 7 });
    expect(t.journalist).toEqual({ recordsAtRisk: 1 / 7, highestRisk: 0.5, averageRisk: 4 / 11 });
    expect(t.marketer.averageRisk).toBeCloseTo(2.5 / 7, 15);
    expect(t.sampleUniqueness).toBe(2 / 7);
    expect(t.populationUniqueness).toBeUndefined();
    expect(out.text()).toContain("records at risk   57.14% (risk above 0.4)");
  });

  it("says which column is missing, and which file", () => {
    expect(() => riskCommand({ in: fixture("example.csv"), qi: ["age", "postcode"] })).toThrow(
      RiskCommandError,
    );
    expect(() => riskCommand({ in: fixture("example.csv"), qi: ["age", "postcode"] })).toThrow(
      'test/privacy/fixtures/risk/example.csv: the table has no column "postcode" (its columns: age, gender, zipcode)',
    );
    writeFileSync(at("ragged.csv"), "a,b\n1,2\n3\n");
    expect(() => riskCommand({ in: at("ragged.csv"), qi: ["a"] })).toThrow(/ragged\.csv: not a readable CSV/);
    writeFileSync(at("empty.csv"), "");
    expect(() => riskCommand({ in: at("empty.csv"), qi: ["a"] })).toThrow("empty file");
  });

  it("guesses the delimiter from the header, and parses its options", async () => {
    expect(sniffDelimiter("a;b;c\n1;2;3")).toBe(";");
    expect(sniffDelimiter("a,b\n")).toBe(",");
    const [command] = riskCommands();
    expect(command!.name()).toBe("risk");
    const options = command!.options.map((o) => o.long);
    expect(options).toEqual(
      expect.arrayContaining([
        "--in",
        "--qi",
        "--delimiter",
        "--population-fraction",
        "--threshold",
        "--report",
        "--after",
      ]),
    );
    command!.exitOverride().configureOutput({ writeErr: () => {} });
    await expect(
      command!.parseAsync(["--in", "x.csv", "--qi", "a", "--population-fraction", "2"], { from: "user" }),
    ).rejects.toThrow("--population-fraction must be a number in (0, 1]");
  });
});

const ADULT = "../shared/data/adult/adult.csv";
describe.skipIf(!existsSync(ADULT))("learnpool risk on UCI Adult (needs ../shared)", () => {
  it("reports ARX's average prosecutor risk and 51.43% sample uniqueness", () => {
    const out = capture();
    const qi = "sex,age,race,marital-status,education,native-country,workclass,occupation,salary-class".split(
      ",",
    );
    const report = riskCommand(
      { in: ADULT, delimiter: ";", qi, populationFraction: 0.1, report: at("adult.json") },
      out.print,
    );
    expect(report.tables[0]!.prosecutor.averageRisk).toBe(0.6465751607983555);
    expect(out.text()).toContain("prosecutor risk   average 0.6465751607983555  highest 1");
    expect(out.text()).toContain("sample uniqueness 51.43%");
    expect(out.text()).toMatch(/by Dankar's rule \(pitman\)/);
    expect(JSON.parse(readFileSync(at("adult.json"), "utf8")).tables[0].records).toBe(30162);
  });
});
