import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, describe, expect, it } from "vitest";
import { writeShards } from "../../src/pool/views/index.js";
import { alignFeatures, learnerTable, readVersionView, versionViewFiles } from "../../src/train/features.js";
import { TrainError } from "../../src/train/index.js";

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Two learners over weeks, as learner_periods gives them, with a label and attributes. */
const rows = [
  {
    learner: "b",
    period: 1,
    statements: 3,
    score_scaled_mean: 0.5,
    video_progress_max: 0.2,
    y: 1,
    region: "north",
    split: "train",
  },
  {
    learner: "a",
    period: 0,
    statements: 2,
    score_scaled_mean: null,
    video_progress_max: null,
    y: 0,
    region: null,
    split: "test",
  },
  {
    learner: "b",
    period: 0,
    statements: 1n,
    score_scaled_mean: 0.9,
    video_progress_max: 0.7,
    y: 1,
    region: "north",
    split: "train",
  },
  {
    learner: "a",
    period: 2,
    statements: 4,
    score_scaled_mean: 0.4,
    video_progress_max: 0.1,
    y: 0,
    region: "south",
    split: "test",
  },
  {
    learner: "c",
    period: 0,
    statements: 9,
    score_scaled_mean: 0.1,
    video_progress_max: 0.1,
    y: null,
    region: "east",
    split: "train",
  },
];
const col = (t: { table: { names: readonly string[]; columns: readonly Float64Array[] } }, name: string) => {
  const j = t.table.names.indexOf(name);
  if (j < 0) throw new Error(`no column ${name}`);
  return [...t.table.columns[j]!];
};

describe("learnerTable", () => {
  it("sums counts, averages means and keeps maxima over a learner's periods", () => {
    const t = learnerTable(rows, { label: "y", periods: "sum", categorical: ["region"], groups: ["region"] });
    expect(t.learners).toEqual(["b", "a"]);
    expect([...t.labels]).toEqual([1, 0]);
    expect(t.unlabelled).toBe(1);
    expect(col(t, "statements")).toEqual([4, 6]);
    expect(col(t, "score_scaled_mean")[0]).toBeCloseTo(0.7);
    expect(col(t, "score_scaled_mean")[1]).toBeCloseTo(0.4); // the missing week does not count as 0
    expect(col(t, "video_progress_max")).toEqual([0.7, 0.1]);
    // The attribute is the last period's; levels sorted, `unknown` last, even when unseen.
    expect(t.categories.region).toEqual(["north", "south", "unknown"]);
    expect(col(t, "region=north")).toEqual([1, 0]);
    expect(col(t, "region=south")).toEqual([0, 1]);
    expect(t.groups.region).toEqual(["north", "south"]);
    expect(t.splits).toEqual(["train", "test"]);
    expect(t.table.names).not.toContain("split");
    expect(t.table.names).not.toContain("period");
  });

  it("takes the last period, or one column per period with zero for an absent count and missing for a mean", () => {
    const last = learnerTable(rows, {
      label: "y",
      periods: "last",
      include: ["statements", "score_scaled_mean"],
    });
    expect(last.table.names).toEqual(["statements", "score_scaled_mean"]);
    expect(col(last, "statements")).toEqual([3, 4]);
    const wide = learnerTable(rows, {
      label: "y",
      periods: "wide",
      include: ["statements", "score_scaled_mean"],
    });
    expect(wide.table.names).toEqual([
      "statements@0",
      "statements@1",
      "statements@2",
      "score_scaled_mean@0",
      "score_scaled_mean@1",
      "score_scaled_mean@2",
    ]);
    expect(col(wide, "statements@1")).toEqual([3, 0]);
    expect(col(wide, "score_scaled_mean@1")[1]).toBeNaN();
    expect(() =>
      learnerTable(rows, { label: "y", periods: "wide", include: ["statements"], periodCount: 2 }),
    ).toThrow('period column "period": period 2 is beyond periodCount 2');
  });

  it("aligns a test table on its training table's features and categories", () => {
    const train = learnerTable(rows, {
      label: "y",
      periods: "sum",
      include: ["statements"],
      categorical: ["region"],
    });
    const test = learnerTable([{ learner: "z", period: 0, statements: 5, region: "west", y: 1 }], {
      label: "y",
      periods: "sum",
      include: ["statements"],
      categorical: ["region"],
      categories: train.categories,
      features: train.table.names,
    });
    expect(test.table.names).toEqual(train.table.names);
    expect(col(test, "region=unknown")).toEqual([1]); // an unseen value is unknown
    expect(col(test, "region=north")).toEqual([0]);
    const aligned = alignFeatures(test.table, ["absent", "statements"]);
    expect(aligned.columns[0]![0]).toBeNaN();
    expect(aligned.columns[1]![0]).toBe(5);
  });

  it("names the column and row of bad input, never a learner", () => {
    const bad =
      (r: Record<string, unknown>[], options: Partial<Parameters<typeof learnerTable>[1]> = {}) =>
      () =>
        learnerTable(r, { label: "y", periods: "sum", ...options });
    expect(bad([{ learner: "secret-1", y: 1, region: "north" }])).toThrow(
      'feature column "region", row 0: string is not numeric (exclude the column or declare it categorical)',
    );
    expect(bad([{ learner: "secret-1", y: 2, x: 1 }])).toThrow('label column "y", row 0: "2" is not 0/1');
    expect(bad([{ learner: "secret-1", x: 1 }])).toThrow('learnerTable.label: no column "y" in the rows');
    expect(bad([{ learner: "s", x: 1, y: 1 }], { categorical: ["region"] })).toThrow(
      'learnerTable.categorical: no column "region" in the rows',
    );
    expect(
      bad([
        { learner: "secret-1", period: 0, x: 1, y: 1 },
        { learner: "secret-1", period: 1, x: 1, y: 0 },
      ]),
    ).toThrow('label column "y", row 1: differs from the same learner\'s earlier row');
    expect(
      bad([
        { learner: "secret-1", period: 0, x: 1, y: 1 },
        { learner: "secret-1", period: 0, x: 1, y: 1 },
      ]),
    ).toThrow("learnerTable: row 1 repeats the same learner's period 0");
    expect(bad([{ learner: "secret-1", period: -1, x: 1, y: 1 }])).toThrow(
      'period column "period", row 0: -1 is not an integer ≥ 0',
    );
    expect(bad([{ learner: null, x: 1, y: 1 }])).toThrow('learner column "learner", row 0: missing');
    expect(bad([{ learner: "secret-1", x: 1, y: null }])).toThrow('every learner\'s label "y" is null');
    expect(bad([], {})).toThrow("learnerTable: no row");
    try {
      bad([{ learner: "secret-1", y: 7 }])();
    } catch (e) {
      expect(e).toBeInstanceOf(TrainError);
      expect(String(e)).not.toContain("secret-1");
    }
  });
});

describe("readVersionView", () => {
  async function writeVersion(): Promise<string> {
    const dir = mkdtempSync(join(tmpdir(), "version-"));
    temps.push(dir);
    const instance = await DuckDBInstance.create(":memory:");
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE lp AS SELECT * FROM (VALUES
      ('l1', 0, 3::BIGINT, 0.5, true, 'train'), ('l1', 1, 2::BIGINT, NULL, true, 'train'),
      ('l2', 0, 1::BIGINT, 0.9, false, 'test'), ('l3', 0, 4::BIGINT, 0.2, false, 'train'))
      AS t(learner, period, statements, score_scaled_mean, label, s)`);
    // As the pool writes a version of several views: data/{view}/{split}-…, the split in the path only.
    mkdirSync(join(dir, "data", "learner_periods"), { recursive: true });
    for (const split of ["test", "train"]) {
      await connection.run(
        `CREATE OR REPLACE TABLE part AS SELECT * EXCLUDE (s) FROM lp WHERE s = '${split}'`,
      );
      await writeShards(connection, "part", {
        dir,
        orderBy: ["learner", "period"],
        split,
        prefix: "learner_periods/",
      });
    }
    connection.closeSync();
    instance.closeSync();
    return dir;
  }

  it("reads a view's shards with the split from each path, and trains from them", async () => {
    const dir = await writeVersion();
    const files = versionViewFiles(dir, "learner_periods");
    expect(files.map((f) => f.split)).toEqual(["test", "train"]);
    const view = await readVersionView(dir, "learner_periods");
    expect(view).toHaveLength(4);
    expect(view[0]).toMatchObject({ learner: "l2", split: "test", statements: 1 });
    expect(typeof view[1]!.statements).toBe("number"); // BIGINT counts as numbers
    const t = learnerTable(view, { label: "label", periods: "sum" });
    expect(t.learners).toEqual(["l2", "l1", "l3"]);
    expect(t.splits).toEqual(["test", "train", "train"]);
    expect(col(t, "statements")).toEqual([1, 5, 4]);
    expect([...t.labels]).toEqual([0, 1, 0]);
  });

  it("follows the lineage's list of files when there is one, and says what is missing", async () => {
    const dir = await writeVersion();
    writeFileSync(
      join(dir, "lineage.json"),
      JSON.stringify({
        files: [
          {
            path: "data/learner_periods/train-00000-of-00001.parquet",
            split: "train",
            format: "parquet",
            recordSet: "learner_periods",
          },
          {
            path: "data/sequences/train-00000-of-00001.parquet",
            split: "train",
            format: "parquet",
            recordSet: "sequences",
          },
        ],
      }),
    );
    const view = await readVersionView(dir, "learner_periods");
    expect(view.map((r) => r.split)).toEqual(["train", "train", "train"]);
    await expect(readVersionView(dir, "statements")).rejects.toThrow(
      'no Parquet file of view "statements" (the version holds: learner_periods, sequences)',
    );
    await expect(readVersionView(dir, "sequences")).rejects.toThrow(
      "missing (listed in the version's lineage)",
    );
    await expect(readVersionView(dir, "../etc")).rejects.toThrow('view "../etc": not a view name');
    const empty = mkdtempSync(join(tmpdir(), "version-"));
    temps.push(empty);
    await expect(readVersionView(empty, "learner_periods")).rejects.toThrow(
      'no Parquet shard of view "learner_periods"',
    );
  });
});
