import { describe, expect, it } from "vitest";
import { buildCroissant, checkCroissant, stableJson, versionDocuments } from "../../src/pool/docs/index.js";
import { sampleVersion } from "./fixtures/docs/version.js";

type Obj = Record<string, unknown>;
const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe("Croissant 1.1 metadata", () => {
  const doc = buildCroissant(sampleVersion()) as Obj;

  it("passes its own check", () => {
    expect(checkCroissant(doc)).toEqual([]);
  });

  it("declares conformance, files with sha256, record sets, splits, the label and usageInfo", () => {
    expect(doc.conformsTo).toContain("http://mlcommons.org/croissant/1.1");
    const dist = doc.distribution as Obj[];
    const parquet = dist.filter(
      (f) => f["@type"] === "cr:FileObject" && f.encodingFormat === "application/x-parquet",
    );
    expect(parquet.map((f) => f["@id"])).toEqual([
      "data/test-00000-of-00001.parquet",
      "data/train-00000-of-00002.parquet",
      "data/train-00001-of-00002.parquet",
      "data/validation-00000-of-00001.parquet",
    ]);
    expect(parquet[0]!.sha256).toBe("d".repeat(64));
    const sets = doc.recordSet as Obj[];
    const splits = sets.find((r) => r["@id"] === "splits")!;
    expect(splits.dataType).toBe("cr:Split");
    expect(splits.data).toContainEqual({ "splits/name": "validation", "splits/url": "cr:ValidationSplit" });
    const periods = sets.find((r) => r["@id"] === "learner_periods")!;
    const fields = periods.field as Obj[];
    expect(fields.find((f) => f["@id"] === "learner_periods/dropout")!.dataType).toEqual([
      "sc:Boolean",
      "cr:Label",
    ]);
    expect(fields.find((f) => f["@id"] === "learner_periods/period")!.source).toEqual({
      fileSet: { "@id": "learner_periods-parquet-files" },
      extract: { column: "period" },
    });
    const split = fields.find((f) => f["@id"] === "learner_periods/split")!;
    expect(split.references).toEqual({ "@id": "splits/name" });
    const regex = new RegExp(((split.source as Obj).transform as Obj).regex as string);
    expect("data/validation-00000-of-00001.parquet".match(regex)?.[1]).toBe("validation");
    expect((doc.usageInfo as Obj)["@type"]).toBe("Agreement");
    expect(doc["rai:dataCollectionTimeframe"]).toBe("2025-09-01/2026-01-31");
    for (const k of [
      "rai:dataBiases",
      "rai:dataLimitations",
      "rai:personalSensitiveInformation",
      "rai:dataReleaseMaintenancePlan",
    ])
      expect(doc[k]).toBeTruthy();
  });

  it("uses the file itself as the source when a record set has one file", () => {
    const d = sampleVersion();
    d.files = d.files.filter((f) => f.path === "data/train-00000-of-00002.parquet");
    const one = buildCroissant(d) as Obj;
    const rs = (one.recordSet as Obj[])[1]!;
    expect(((rs.field as Obj[])[0]!.source as Obj).fileObject).toEqual({
      "@id": "data/train-00000-of-00002.parquet",
    });
    expect(checkCroissant(one)).toEqual([]);
  });

  it("is byte-identical for the same input, whatever the order of the files", () => {
    const a = versionDocuments(sampleVersion());
    const d = sampleVersion();
    d.files.reverse();
    expect(versionDocuments(d)["croissant.json"]).toBe(a["croissant.json"]);
    expect(stableJson(buildCroissant(sampleVersion()))).toBe(a["croissant.json"]);
  });

  it("refuses files outside the Hub layout or with a bad hash", () => {
    const d = sampleVersion();
    d.files[0]!.path = "data/shard-0.parquet";
    expect(() => buildCroissant(d)).toThrow(/must start with "train-"/);
    const e = sampleVersion();
    e.files[0]!.sha256 = "xyz";
    expect(() => buildCroissant(e)).toThrow(/sha256/);
  });

  describe("mutilated copies fail, naming what and where", () => {
    const cases: [string, (d: Obj) => void, RegExp, string][] = [
      ["no name", (d) => delete d.name, /missing required property name/, "$"],
      ["no license", (d) => delete d.license, /missing required property license/, "$"],
      ["no conformsTo", (d) => delete d.conformsTo, /missing required property conformsTo/, "$"],
      [
        "wrong conformsTo",
        (d) => (d.conformsTo = "http://mlcommons.org/croissant/1.0"),
        /must include/,
        "$.conformsTo",
      ],
      ["no context", (d) => delete d["@context"], /missing @context/, "$"],
      [
        "typo key",
        (d) => ((d.distribution as Obj[])[0]!.sha265 = "x"),
        /"sha265" is not a term/,
        "$.distribution[0].sha265",
      ],
      ["undeclared prefix", (d) => (d["foo:bar"] = 1), /prefix "foo"/, '$["foo:bar"]'],
      [
        "prefix removed from context",
        (d) => delete (d["@context"] as Obj).rai,
        /prefix "rai" of "rai:dataCollection"/,
        '$["rai:dataCollection"]',
      ],
      [
        "no sha256",
        (d) => delete (d.distribution as Obj[])[1]!.sha256,
        /missing required property sha256/,
        "$.distribution[1]",
      ],
      [
        "dangling source",
        (d) => {
          const f = ((d.recordSet as Obj[])[1]!.field as Obj[])[0]!;
          f.source = { fileSet: { "@id": "nowhere" }, extract: { column: "learner" } };
        },
        /fileSet nowhere is not in distribution/,
        "$.recordSet[1].field[0].source",
      ],
      [
        "no label",
        (d) => {
          const f = ((d.recordSet as Obj[])[1]!.field as Obj[])[3]!;
          f.dataType = "sc:Boolean";
        },
        /cr:Label/,
        "$.recordSet",
      ],
      ["no splits", (d) => delete (d.recordSet as Obj[])[0]!.dataType, /cr:Split/, "$.recordSet"],
      ["no usageInfo", (d) => delete d.usageInfo, /usageInfo/, "$"],
      ["no RAI biases", (d) => delete d["rai:dataBiases"], /rai:dataBiases/, "$"],
      [
        "unknown remote context",
        (d) => ((d.usageInfo as Obj)["@context"] = "https://evil.example/ctx"),
        /remote context/,
        '$.usageInfo["@context"]',
      ],
      [
        "duplicate id",
        (d) => ((d.distribution as Obj[])[1]!["@id"] = (d.distribution as Obj[])[0]!["@id"]),
        /already used/,
        "$.distribution[1]",
      ],
      [
        "dangling reference",
        (d) => (((d.recordSet as Obj[])[1]!.field as Obj[])[4]!.references = { "@id": "splits/nom" }),
        /splits\/nom/,
        "$.recordSet[1].field[4].references",
      ],
    ];
    for (const [name, mutilate, message, path] of cases)
      it(name, () => {
        const copy = clone(doc);
        mutilate(copy);
        const problems = checkCroissant(copy);
        expect(problems.length).toBeGreaterThan(0);
        expect(
          problems.some((p) => message.test(p.message) && p.path === path),
          JSON.stringify(problems),
        ).toBe(true);
      });
  });
});

describe("Croissant with a record set of no split", () => {
  const withAggregates = () => {
    const d = sampleVersion();
    d.files.push({
      path: "data/cohort_statistics.parquet",
      format: "parquet",
      sha256: "3".repeat(64),
      bytes: 9,
      rows: 2,
      recordSet: "cohort_statistics",
    });
    d.recordSets.push({
      name: "cohort_statistics",
      description: "Differentially private aggregates.",
      fields: [{ name: "value", dataType: "sc:Float", description: "The noisy value." }],
    });
    return d;
  };

  it("gives the aggregates their file as source and no split field; the version still passes", () => {
    const doc = buildCroissant(withAggregates()) as Obj;
    expect(checkCroissant(doc)).toEqual([]);
    const rs = (doc.recordSet as Obj[]).find((r) => r.name === "cohort_statistics")!;
    expect((rs.field as Obj[]).map((f) => f.name)).toEqual(["value"]);
    expect((rs.field as Obj[])[0]!.source).toEqual({
      fileObject: { "@id": "data/cohort_statistics.parquet" },
      extract: { column: "value" },
    });
  });

  it("needs no label when no record is split (aggregates only), and refuses a record set mixing both", () => {
    const d = withAggregates();
    d.files = d.files.filter((f) => f.split === undefined);
    d.recordSets = d.recordSets.filter((r) => r.name === "cohort_statistics");
    d.splits = [];
    d.label = { recordSet: "cohort_statistics", field: "", definition: "none (aggregates only)" };
    expect(checkCroissant(buildCroissant(d))).toEqual([]);
    const mixed = withAggregates();
    mixed.files.push({
      path: "data/x.parquet",
      format: "parquet",
      sha256: "4".repeat(64),
      bytes: 1,
      rows: 1,
    });
    expect(() => buildCroissant(mixed)).toThrow(/record set learner_periods: files with and without a split/);
  });
});
