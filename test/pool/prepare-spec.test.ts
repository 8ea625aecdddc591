import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_OUTCOME_RULES,
  DEFAULTS,
  parseBuildSpec,
  SpecError,
  VERBS,
  validateBuildSpec,
} from "../../src/pool/prepare/index.js";

const fixture = readFileSync(new URL("./fixtures/prepare/spec.yaml", import.meta.url), "utf8");
const minimal = {
  name: "d1",
  agreement: "agr-1",
  providers: ["a", "b"],
  span: { from: "2024-01-01", to: "2024-06-30" },
  views: { statements: true },
};

function issues(doc: unknown): string[] {
  try {
    validateBuildSpec(doc);
  } catch (error) {
    expect(error).toBeInstanceOf(SpecError);
    return (error as SpecError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error("the spec was accepted");
}

describe("build spec", () => {
  it("reads a full spec with every key", () => {
    const spec = parseBuildSpec(fixture, { baseDir: "/data/specs" });
    expect(spec.name).toBe("dropout-week4");
    expect(spec.providers).toEqual(["univ-lyon", "mooc-fun"]);
    expect(spec.span.from.toISOString()).toBe("2024-01-01T00:00:00.000Z");
    expect(spec.views.learnerPeriods).toEqual({ period: "week" });
    expect(spec.views.sequences).toEqual({ unit: "skill" });
    expect(spec.views.statements).toEqual({});
    expect(spec.views.cohortStatistics?.statistics).toHaveLength(2);
    expect(spec.cutoffDay).toBe(27);
    expect(spec.label).toMatchObject({ kind: "dropout", inactivityDays: 21, activeWithinDays: 21 });
    // A kind given replaces its defaults; the others keep theirs.
    expect(spec.label?.outcomes.withdrawal).toHaveLength(2);
    expect(spec.label?.outcomes.completion).toEqual(DEFAULT_OUTCOME_RULES.completion);
    expect(spec.splits).toEqual({
      by: "learner",
      ratios: { train: 0.7, validation: 0.2, test: 0.1 },
      stratify: true,
    });
    expect(spec.seed).toBe(42);
    expect(spec.risk).toEqual({
      minK: 10,
      maxAverageRisk: 0.02,
      action: "suppress",
      maxSuppressedFraction: 0.05,
    });
    expect(spec.formats).toEqual(["parquet", "csv", "jsonl"]);
    expect(spec.output).toBe("/data/specs/out/dropout-week4");
    // Files the build reads are resolved against the spec's folder, like the output.
    expect(spec.deidentification).toEqual({ profile: "/data/specs/profiles/research.yaml" });
    expect(spec.skills).toEqual({
      alignments: "/data/specs/skills/acme-esco.json",
      framework: "http://data.europa.eu/esco/concept-scheme/skills",
    });
    expect(spec.attributes).toEqual({
      age_band: {
        extension: "https://example.org/xapi/extensions/age-band",
        hierarchy: "/data/specs/hierarchies/age_band.csv",
      },
      region: { extension: "https://example.org/xapi/extensions/region" },
    });
  });

  it("applies the documented defaults", () => {
    const spec = validateBuildSpec(minimal);
    expect(spec.splits).toEqual(DEFAULTS.splits);
    expect(spec.seed).toBe(0);
    expect(spec.risk).toEqual(DEFAULTS.risk);
    expect(spec.formats).toEqual(["parquet"]);
    expect(spec.output).toBe("datasets/d1");
    expect(spec.label).toBeUndefined();
    const labelled = validateBuildSpec({ ...minimal, cutoff_day: 14, label: { kind: "dropout" } });
    expect(labelled.label).toMatchObject({ inactivityDays: 14, activeWithinDays: 14 });
    expect(labelled.label?.outcomes.withdrawal).toEqual([{ verb: VERBS.unregistered }]);
    expect(validateBuildSpec({ ...minimal, views: { learner_periods: true } }).views.learnerPeriods).toEqual({
      period: "week",
    });
  });

  it("names the key path and what is wrong", () => {
    expect(issues({ ...minimal, splits: { by: "learner", ratios: { train: 0.7, test: 0.2 } } })).toEqual([
      "splits.ratios: must sum to 1, got 0.9",
    ]);
    expect(issues({ ...minimal, splits: { by: "learner", ratios: { train: 1.2 } } })[0]).toMatch(
      /^splits\.ratios\.train: must be a number in \(0, 1\]/,
    );
    expect(issues({ ...minimal, views: { learner_periods: { period: "month" } } })).toEqual([
      'views.learner_periods.period: must be one of day, week, got "month"',
    ]);
    expect(issues({ ...minimal, cutoff_day: 7, label: { kind: "dropout", inactivity_days: 0 } })[0]).toMatch(
      /^label\.inactivity_days: must be an integer in \[1, 3650\], got 0/,
    );
    expect(issues({ ...minimal, label: { kind: "failure" } })).toEqual([
      "cutoff_day: is required with a label",
    ]);
    expect(issues({ ...minimal, span: { from: "2024-06-30", to: "2024-01-01" } })[0]).toMatch(
      /^span: from must be before to/,
    );
    expect(issues({ ...minimal, span: { from: "yesterday", to: "2024-01-01" } })[0]).toMatch(
      /^span\.from: must be a date/,
    );
    expect(
      issues({
        ...minimal,
        cutoff_day: 7,
        label: { kind: "dropout", outcomes: { withdrawal: [{ verb: "exited" }] } },
      })[0],
    ).toMatch(/^label\.outcomes\.withdrawal\[0\]\.verb: must be an absolute IRI/);
    expect(issues({ ...minimal, risk: { action: "ignore" } })[0]).toMatch(/^risk\.action: must be one of/);
    expect(issues({ ...minimal, formats: ["parquet", "xlsx"] })[0]).toMatch(/^formats\[1\]: must be one of/);
    expect(issues({ ...minimal, providers: ["a", "a"] })[0]).toMatch(/^providers\[1\]: "a" is listed twice/);
    expect(issues({ ...minimal, views: {} })[0]).toMatch(/^views: must request at least one/);
    expect(issues({ ...minimal, seed: -1 })[0]).toMatch(/^seed: must be an integer in \[0, 4294967295\]/);
  });

  it("refuses unknown keys at every level, and reports all problems at once", () => {
    const found = issues({
      ...minimal,
      nmae: "typo",
      splits: { by: "learner", ratio: { train: 1 } },
      risk: { min_k: 1, maxk: 3 },
    });
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^nmae: unknown key/),
        expect.stringMatching(/^splits\.ratio: unknown key/),
        expect.stringMatching(/^risk\.maxk: unknown key/),
        expect.stringMatching(/^risk\.min_k: must be an integer ≥ 2, got 1/),
      ]),
    );
    expect(issues({ agreement: "x" })).toEqual(
      expect.arrayContaining([
        "name: is required",
        "providers: is required",
        "span: is required",
        "views: is required",
      ]),
    );
  });

  it("checks split policies against the providers, span and label", () => {
    expect(issues({ ...minimal, splits: { by: "provider", held_out: ["c"] } })[0]).toMatch(
      /^splits\.held_out\[0\]: "c" is not one of the build's providers/,
    );
    expect(issues({ ...minimal, splits: { by: "provider", held_out: ["a", "b"] } })).toEqual([
      "splits.held_out: must leave at least one provider to train on",
    ]);
    expect(validateBuildSpec({ ...minimal, splits: { by: "provider", held_out: ["b"] } }).splits).toEqual({
      by: "provider",
      heldOut: ["b"],
      sharedLearners: "test",
      validation: 0,
    });
    expect(issues({ ...minimal, splits: { by: "time", date: "2025-01-01" } })[0]).toMatch(
      /^splits\.date: must lie inside the span/,
    );
    expect(
      issues({
        ...minimal,
        cutoff_day: 7,
        label: { kind: "completion" },
        splits: { by: "time", date: "2024-03-01" },
      }),
    ).toEqual([
      "label.horizon_days: is required with splits by time: a training label must end before the date",
    ]);
    expect(issues({ ...minimal, splits: { by: "learner", stratify: true } })).toEqual([
      "splits.stratify: needs a label to stratify by",
    ]);
  });

  it("leaves de-identification, skills and attributes out unless asked", () => {
    const spec = validateBuildSpec(minimal);
    expect(spec.deidentification).toBeUndefined();
    expect(spec.skills).toBeUndefined();
    expect(spec.attributes).toBeUndefined();
    // Without a baseDir the paths stay as written.
    expect(
      validateBuildSpec({ ...minimal, deidentification: { profile: "p.yaml" } }).deidentification,
    ).toEqual({
      profile: "p.yaml",
    });
  });

  it("checks de-identification, skills and attributes by key path", () => {
    expect(issues({ ...minimal, deidentification: { profil: "p.yaml" } })).toEqual([
      "deidentification.profil: unknown key (allowed here: profile)",
      "deidentification.profile: must be a non-empty string, got nothing",
    ]);
    expect(issues({ ...minimal, skills: { alignments: "a.json" } })).toEqual([
      "skills.framework: must be a non-empty string, got nothing",
    ]);
    const ext = "https://example.org/x/region";
    expect(
      issues({
        ...minimal,
        attributes: {
          learner: { extension: ext },
          "Bad-Name": { extension: "https://example.org/x/other" },
          region: { extension: "not an iri" },
          area: { extension: ext, hierarchy: 3, level: 1 },
        },
      }),
    ).toEqual([
      "attributes.learner: is the key column: choose another name",
      'attributes.Bad-Name: must be a column name: lower-case letters, digits, _ (≤ 63), got "Bad-Name"',
      'attributes.region.extension: must be an absolute IRI, got "not an iri"',
      "attributes.area.level: unknown key (allowed here: extension, hierarchy)",
      "attributes.area.hierarchy: must be a non-empty string, got 3",
    ]);
    expect(issues({ ...minimal, attributes: { a: { extension: ext }, b: { extension: ext } } })).toEqual([
      "attributes.b.extension: is already the extension of a",
    ]);
    expect(issues({ ...minimal, attributes: {} })).toEqual(["attributes: must name at least one column"]);
  });

  it("reports YAML syntax errors and duplicate keys as spec errors", () => {
    expect(() => parseBuildSpec("name: [", { source: "spec.yaml" })).toThrow(
      /spec\.yaml: invalid build spec/,
    );
    expect(() => parseBuildSpec("name: a\nname: b\n")).toThrow(/not valid YAML/);
  });
});
