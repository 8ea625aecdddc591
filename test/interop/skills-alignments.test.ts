import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  type Alignment,
  type AlignmentSet,
  alignmentSetFromFile,
  alignmentsFromCsvRows,
  emptyAlignmentSet,
  inverseRelation,
  mergeAlignments,
  parseRelation,
  readAlignmentCsv,
  reviewAlignments,
} from "../../src/interop/skills/index.js";
import { ACME, ESCO, FIXTURES } from "./skills-fixtures.js";

const suggestion = (source: string, target: string, score: number): Alignment => ({
  source,
  target,
  relation: score >= 0.9 ? "exactMatch" : "closeMatch",
  status: "suggested",
  origin: "label-similarity",
  score,
});

describe("relations", () => {
  it("reads local names, skos: names and full IRIs, and inverts broad/narrow", () => {
    expect(parseRelation("exactMatch")).toBe("exactMatch");
    expect(parseRelation(" skos:closeMatch ")).toBe("closeMatch");
    expect(parseRelation("http://www.w3.org/2004/02/skos/core#broadMatch")).toBe("broadMatch");
    expect(parseRelation("sameAs")).toBeUndefined();
    expect(inverseRelation("broadMatch")).toBe("narrowMatch");
    expect(inverseRelation("narrowMatch")).toBe("broadMatch");
    expect(inverseRelation("exactMatch")).toBe("exactMatch");
  });
});

describe("CSV alignments", () => {
  it("reads source,relation,target,score,status with a header", () => {
    const { alignments, problems } = readAlignmentCsv(join(FIXTURES, "acme-to-esco.csv"), {
      sourceScheme: ACME,
    });
    expect(problems).toEqual([]);
    expect(alignments.map((a) => [a.relation, a.status, a.score])).toEqual([
      ["exactMatch", "accepted", undefined],
      ["closeMatch", "suggested", 0.74],
      ["broadMatch", "rejected", undefined],
    ]);
    expect(alignments[0]).toMatchObject({ origin: "imported", sourceScheme: ACME, source: `${ACME}MGT-01` });
  });

  it("takes rows without a status as accepted (or the default given), and reports bad rows by line", () => {
    const { alignments, problems } = alignmentsFromCsvRows(
      [
        ["http://a/1", "exactMatch", "http://b/1"],
        ["http://a/2", "sameAs", "http://b/2"],
        ["http://a/3", "closeMatch", "http://b/3", "1.5"],
        ["http://a/4", "closeMatch", ""],
        ["http://a/5", "closeMatch", "http://b/5", "", "maybe"],
      ],
      { defaultStatus: "suggested" },
    );
    expect(alignments).toEqual([
      {
        source: "http://a/1",
        target: "http://b/1",
        relation: "exactMatch",
        status: "suggested",
        origin: "imported",
      },
    ]);
    expect(problems).toEqual([
      'line 2: unknown relation "sameAs"',
      'line 3: score must be a number in [0, 1], got "1.5"',
      "line 4: source and target are required",
      'line 5: unknown status "maybe"',
    ]);
  });
});

describe("alignment sets", () => {
  it("merging keeps a person's decisions and replaces only pending suggestions", () => {
    const set: AlignmentSet = {
      ...emptyAlignmentSet(ACME, "esco"),
      alignments: [
        { ...suggestion(`${ACME}A`, `${ESCO}1`, 0.7), status: "rejected" },
        { ...suggestion(`${ACME}B`, `${ESCO}2`, 0.95), status: "accepted" },
        suggestion(`${ACME}C`, `${ESCO}3`, 0.65),
      ],
    };
    const merged = mergeAlignments(set, [
      suggestion(`${ACME}A`, `${ESCO}1`, 0.8),
      suggestion(`${ACME}B`, `${ESCO}2`, 0.92),
      suggestion(`${ACME}C`, `${ESCO}3`, 0.75),
      suggestion(`${ACME}D`, `${ESCO}4`, 0.61),
    ]);
    expect([merged.added, merged.updated, merged.kept]).toEqual([1, 1, 2]);
    const byPair = Object.fromEntries(
      merged.set.alignments.map((a) => [a.source.slice(-1), [a.status, a.score]]),
    );
    expect(byPair).toEqual({
      A: ["rejected", 0.7],
      B: ["accepted", 0.95],
      C: ["suggested", 0.75],
      D: ["suggested", 0.61],
    });
  });

  it("review accepts and rejects, may settle the relation, records who and when", () => {
    const set: AlignmentSet = {
      ...emptyAlignmentSet(ACME, "esco"),
      alignments: [suggestion(`${ACME}A`, `${ESCO}1`, 0.85), suggestion(`${ACME}A`, `${ESCO}2`, 0.7)],
    };
    const reviewed = reviewAlignments(
      set,
      [
        { source: `${ACME}A`, target: `${ESCO}1`, status: "accepted", relation: "exactMatch" },
        { source: `${ACME}A`, target: `${ESCO}2`, status: "rejected" },
      ],
      "marie@acme",
      "2026-01-05T10:00:00.000Z",
    );
    expect(reviewed.set.alignments).toEqual([
      expect.objectContaining({
        target: `${ESCO}1`,
        status: "accepted",
        relation: "exactMatch",
        reviewedBy: "marie@acme",
        reviewedAt: "2026-01-05T10:00:00.000Z",
      }),
      expect.objectContaining({ target: `${ESCO}2`, status: "rejected", relation: "closeMatch" }),
    ]);
    // The input set is not changed.
    expect(set.alignments[0]!.status).toBe("suggested");
  });

  it("review refuses an unknown pair unless a relation is given, which adds a manual alignment", () => {
    const set = emptyAlignmentSet(ACME, "esco");
    expect(() =>
      reviewAlignments(set, [{ source: `${ACME}X`, target: `${ESCO}9`, status: "accepted" }], "r", "t"),
    ).toThrow(/no alignment .*X → .*9 in the set/);
    const added = reviewAlignments(
      set,
      [{ source: `${ACME}X`, target: `${ESCO}9`, status: "accepted", relation: "broadMatch" }],
      "r",
      "t",
    );
    expect(added.added).toBe(1);
    expect(added.set.alignments[0]).toMatchObject({
      origin: "manual",
      relation: "broadMatch",
      sourceScheme: ACME,
      targetScheme: "esco",
    });
  });

  it("reads its own file form back, and refuses malformed files", () => {
    const set = { ...emptyAlignmentSet("s", "t"), alignments: [suggestion("http://a/1", "http://b/1", 0.9)] };
    expect(alignmentSetFromFile(JSON.parse(JSON.stringify(set)))).toEqual(set);
    expect(() => alignmentSetFromFile({ alignments: [] })).toThrow(/not an alignment set/);
    expect(() =>
      alignmentSetFromFile({ ...set, alignments: [{ ...set.alignments[0], status: "maybe" }] }),
    ).toThrow(/unknown status/);
  });
});
