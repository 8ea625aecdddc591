import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  datasetCard,
  datasheet,
  frontMatter,
  sizeCategory,
  versionDocuments,
} from "../../src/pool/docs/index.js";
import { sampleVersion } from "./fixtures/docs/version.js";

function splitCard(card: string): { yaml: Record<string, unknown>; body: string } {
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(card);
  if (!m) throw new Error("no front matter");
  return { yaml: parse(m[1]!) as Record<string, unknown>, body: m[2]! };
}

describe("Hugging Face dataset card", () => {
  it("has front matter the Hub reads: configs per split on data/{split}-*.parquet, license, sizes", () => {
    const { yaml, body } = splitCard(datasetCard(sampleVersion()));
    expect(yaml.configs).toEqual([
      {
        config_name: "default",
        data_files: [
          { split: "train", path: "data/train-*.parquet" },
          { split: "validation", path: "data/validation-*.parquet" },
          { split: "test", path: "data/test-*.parquet" },
        ],
      },
    ]);
    expect(yaml.license).toBe("other");
    expect(yaml.license_link).toBe("https://example.org/agreements/dropout-2026");
    expect(yaml.size_categories).toEqual(["n<1K"]);
    expect(yaml.task_categories).toEqual(["tabular-classification"]);
    expect(yaml.pretty_name).toBe("Dropout, Lyon pool 2026");
    expect(yaml.tags).toContain("dropout");
    expect(body).toContain("# Dropout, Lyon pool 2026");
    expect(body).toContain("| train | train | 2 | 6 |");
    expect(body).toContain("dropout (label)");
  });

  it("names an SPDX licence when the description gives one, and lists paths outside the Hub layout", () => {
    const d = sampleVersion();
    d.license = "CC-BY-4.0";
    d.files = d.files.filter((f) => f.split !== "train");
    d.files.push({
      path: "shards/train-0.parquet",
      split: "train",
      format: "parquet",
      sha256: "f".repeat(64),
      bytes: 1,
      rows: 1,
    });
    d.files.push({
      path: "other/train-1.parquet",
      split: "train",
      format: "parquet",
      sha256: "0".repeat(64),
      bytes: 1,
      rows: 1,
    });
    const fm = frontMatter(d) as {
      license: string;
      configs: { data_files: { split: string; path: unknown }[] }[];
    };
    expect(fm.license).toBe("cc-by-4.0");
    expect(fm.configs[0]!.data_files[0]).toEqual({
      split: "train",
      path: ["other/train-1.parquet", "shards/train-0.parquet"],
    });
  });

  it("buckets sizes as the Hub does", () => {
    expect(sizeCategory(999)).toBe("n<1K");
    expect(sizeCategory(1000)).toBe("1K<n<10K");
    expect(sizeCategory(2_500_000)).toBe("1M<n<10M");
  });
});

describe("datasheet", () => {
  const sheet = datasheet(sampleVersion());

  it("answers Gebru et al.'s sections", () => {
    for (const h of [
      "## Motivation",
      "## Composition",
      "## Collection process",
      "## Preprocessing, cleaning and labeling",
      "## Uses",
      "## Distribution",
      "## Maintenance",
    ])
      expect(sheet).toContain(h);
  });

  it("states label, cut-off, split policy, pseudonymization, profile, suppression, risk and biases", () => {
    expect(sheet).toContain("no activity for 30 days after the cut-off day");
    expect(sheet).toContain("Features use only statements before the cut-off day.");
    expect(sheet).toContain("by learner. 70/15/15");
    expect(sheet).toContain("linkage domain `lyon-2026`");
    expect(sheet).toContain("profile `lp-default` version `3`");
    expect(sheet).toContain("2 learners and 7 records suppressed");
    expect(sheet).toContain("k = 5, average risk 0.04");
    expect(sheet).toContain("- Learners of the MOOC are older on average");
  });

  it("tabulates consent coverage per provider, sorted, with totals", () => {
    expect(sheet).toContain("| provider | asked | consented | refused | withdrew |");
    const mooc = sheet.indexOf("| mooc-fr | 50 | 40 | 9 | 1 |");
    const lyon = sheet.indexOf("| univ-lyon | 100 | 80 | 15 | 5 |");
    expect(mooc).toBeGreaterThan(0);
    expect(lyon).toBeGreaterThan(mooc);
    expect(sheet).toContain("| **total** | 150 | 120 | 24 | 6 |");
  });

  it("carries the agreement's policy and is byte-identical for the same input", () => {
    expect(sheet).toContain('"@type": "Agreement"');
    expect(versionDocuments(sampleVersion())).toEqual(versionDocuments(sampleVersion()));
    // The only instants are the build's and those inside the policy: no clock is read.
    const instants = new Set(sheet.match(/\d{4}-\d{2}-\d{2}T[\d:]+Z/g));
    expect([...instants].sort()).toEqual(["2026-02-01T10:00:00Z", "2027-06-30T00:00:00Z"]);
  });
});

/** The sample version with a second split view in its own folder and one aggregate file of no split. */
function severalViews() {
  const d = sampleVersion();
  d.files = d.files.map((f) => ({ ...f, path: f.path.replace("data/", "data/learner_periods/") }));
  d.files.push(
    {
      path: "data/sequences/train-00000-of-00001.parquet",
      split: "train",
      format: "parquet",
      sha256: "1".repeat(64),
      bytes: 10,
      rows: 7,
      recordSet: "sequences",
    },
    {
      path: "data/sequences/test-00000-of-00001.parquet",
      split: "test",
      format: "parquet",
      sha256: "2".repeat(64),
      bytes: 10,
      rows: 4,
      recordSet: "sequences",
    },
    {
      path: "data/cohort_statistics.parquet",
      format: "parquet",
      sha256: "3".repeat(64),
      bytes: 10,
      rows: 2,
      recordSet: "cohort_statistics",
    },
  );
  d.recordSets.push(
    {
      name: "sequences",
      description: "Interactions with items.",
      key: ["learner", "position"],
      fields: [
        { name: "learner", dataType: "sc:Text", description: "Pseudonym." },
        { name: "position", dataType: "sc:Integer", description: "Rank in the sequence." },
      ],
    },
    {
      name: "cohort_statistics",
      description: "Differentially private aggregates.",
      fields: [{ name: "value", dataType: "sc:Float", description: "The noisy value." }],
    },
  );
  return d;
}

describe("several record sets", () => {
  it("makes one Hub config per record set, the first the default, an aggregate file as its own data_files", () => {
    const { yaml } = splitCard(datasetCard(severalViews()));
    expect(yaml.configs).toEqual([
      {
        config_name: "learner_periods",
        default: true,
        data_files: [
          { split: "train", path: "data/learner_periods/train-*.parquet" },
          { split: "validation", path: "data/learner_periods/validation-*.parquet" },
          { split: "test", path: "data/learner_periods/test-*.parquet" },
        ],
      },
      {
        config_name: "sequences",
        data_files: [
          { split: "train", path: "data/sequences/train-*.parquet" },
          { split: "test", path: "data/sequences/test-*.parquet" },
        ],
      },
      { config_name: "cohort_statistics", data_files: "data/cohort_statistics.parquet" },
    ]);
  });

  it("gives rows per split of every record set in the card and the datasheet, and loading lines for each", () => {
    const d = severalViews();
    const { body } = splitCard(datasetCard(d));
    expect(body).toContain("| learner_periods | train | train | 2 | 6 |");
    expect(body).toContain("| sequences | test | test | 1 | 4 |");
    expect(body).toContain("| cohort_statistics | (all) | aggregate | 1 | 2 |");
    expect(body).toContain(
      'sequences = load_dataset("parquet", data_dir=".", data_files={"train": "data/sequences/train-*.parquet", "test": "data/sequences/test-*.parquet"})',
    );
    expect(body).toContain(
      'cohort_statistics = load_dataset("parquet", data_dir=".", data_files="data/cohort_statistics.parquet")',
    );
    const sheet = datasheet(d);
    for (const name of ["learner_periods", "sequences", "cohort_statistics"])
      expect(sheet).toContain(`### \`${name}\``);
    expect(sheet).toContain("| position | Integer | Rank in the sequence. |");
    expect(sheet).toContain(
      "| data/cohort_statistics.parquet | cohort_statistics | (all) | parquet | 2 | 10 |",
    );
  });
});
