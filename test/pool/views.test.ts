import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  COMPETENCY_ACTIVITY_TYPES,
  COMPETENCIES_EXTENSION as SKILLS_EXTENSION,
} from "../../src/interop/skills/index.js";
import {
  buildLearnerPeriods,
  buildSequences,
  COMPETENCIES_EXTENSION,
  COMPETENCY_TYPES,
  iriColumns,
  loadStatements,
  type ProviderFile,
  sqlDay,
  writeShards,
} from "../../src/pool/views/index.js";

const fixtures = new URL("./fixtures/views/", import.meta.url).pathname;
const univ: ProviderFile = { provider: "univ", path: join(fixtures, "univ.jsonl") };
const mooc: ProviderFile = { provider: "mooc", path: join(fixtures, "mooc.jsonl") };
const late: ProviderFile = { provider: "univ", path: join(fixtures, "late.jsonl") };
const CUTOFF = "2024-03-15";
const ADL = "http://adlnet.gov/expapi/verbs/";

type Row = Record<string, unknown>;

function plain(value: unknown): unknown {
  if (typeof value === "bigint") return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (value instanceof Date)
    return value
      .toISOString()
      .replace("T", " ")
      .replace(/\.000Z$|Z$/, "")
      .replace(/ 00:00:00$/, "");
  if (value !== null && typeof value === "object") return String(value);
  return value;
}

async function rows(connection: DuckDBConnection, sql: string): Promise<Row[]> {
  const reader = await connection.runAndReadAll(sql);
  return reader
    .getRowObjectsJS()
    .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
}

async function fresh(): Promise<DuckDBConnection> {
  return (await DuckDBInstance.create(":memory:")).connect();
}

let work: string;
let db: DuckDBConnection;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "learnpool-views-"));
  db = await fresh();
  await loadStatements(db, [univ, mooc]);
});

afterAll(() => {
  db.closeSync();
  rmSync(work, { recursive: true, force: true });
});

describe("statements view", () => {
  it("flattens every column from the stored JSON and keeps the JSON", async () => {
    const counts = await loadStatements(await fresh(), [univ, mooc, late]);
    expect(counts).toEqual({ univ: 10, mooc: 6 });
    const [q2] = await rows(db, "SELECT * FROM statements WHERE object_id = 'https://univ.example/q2'");
    expect(q2).toMatchObject({
      provider: "univ",
      learner: "L-alice",
      learner_namespace: "https://pool.example/linkage/d1",
      verb: `${ADL}answered`,
      object_kind: "Activity",
      object_type: "http://adlnet.gov/expapi/activities/cmi.interaction",
      timestamp: "2024-03-01 08:20:00",
      stored: "2024-04-01",
      success: false,
      completion: null,
      score_scaled: 0.4,
      duration_seconds: 60,
      parent_ids: [],
      grouping_ids: ["https://univ.example/programme"],
      skills: ["https://skills.example/S1", "https://skills.example/S2"],
    });
    const line = readFileSync(univ.path, "utf8").split("\n")[2]!;
    expect(JSON.parse(String(q2!.json))).toEqual(JSON.parse(line));
  });

  it("reads timestamps with their offsets as UTC, durations as seconds, and whatever identifies the actor", async () => {
    const found = await rows(
      db,
      `SELECT object_id, learner, learner_namespace, timestamp, duration_seconds, video_progress, platform, registration,
        parent_ids, skills, score_raw FROM statements ORDER BY id`,
    );
    const by = (id: string, verbFree = 0) => found.filter((r) => r.object_id === id)[verbFree]!;
    expect(by("https://univ.example/c1")).toMatchObject({
      timestamp: "2024-03-01 08:00:00",
      platform: "Moodle",
      registration: "6f3b1c9e-1111-4a2b-8c3d-000000000001",
    });
    expect(by("https://univ.example/q1")).toMatchObject({
      duration_seconds: 150,
      parent_ids: ["https://univ.example/c1"],
      skills: ["https://skills.example/S1"],
      score_raw: 8,
    });
    expect(by("https://mooc.example/q9")).toMatchObject({
      timestamp: "2024-03-03 01:00:00",
      duration_seconds: 86400.5,
    });
    expect(by("https://univ.example/v1", 1)).toMatchObject({ video_progress: 1, duration_seconds: 600 });
    // P1M: a month has no fixed length, so no number is made up.
    expect(
      found.find((r) => r.object_id === "https://mooc.example/m1" && r.duration_seconds === null),
    ).toBeDefined();
    expect(by("https://mooc.example/m2")).toMatchObject({
      learner: "ebd31e95054c018b10727ccffd2ef2ec3a016ee9",
      learner_namespace: "mbox_sha1sum",
    });
  });

  it("knows competencies where interop/skills puts them", () => {
    expect([...COMPETENCY_TYPES]).toEqual([...COMPETENCY_ACTIVITY_TYPES]);
    expect(COMPETENCIES_EXTENSION).toBe(SKILLS_EXTENSION);
  });
});

describe("learner_periods view", () => {
  it("counts per week since the learner's first day, overall and per provider side by side", async () => {
    const columns = await buildLearnerPeriods(db, { cutoff: CUTOFF, period: "week" });
    const names = columns.map((c) => c.name);
    expect(names.slice(0, 3)).toEqual(["learner", "period", "period_start"]);
    expect(names).toContain("verb_answered");
    expect(names).toContain("type_cmi_interaction");
    expect(names).toContain("univ__verb_answered");
    expect(names).toContain("mooc__video_progress_max");
    // Providers in sorted order: mooc's block before univ's.
    expect(names.indexOf("mooc__statements")).toBeLessThan(names.indexOf("univ__statements"));
    const table = await rows(db, "SELECT * FROM learner_periods");
    expect(Object.keys(table[0]!)).toEqual(names);
    const alice = table.filter((r) => r.learner === "L-alice");
    expect(alice.map((r) => [r.period, r.period_start])).toEqual([
      [0, "2024-03-01"],
      [1, "2024-03-08"],
    ]);
    expect(alice[0]).toMatchObject({
      statements: 5,
      univ__statements: 3,
      mooc__statements: 2,
      active_days: 2,
      duration_seconds: 150 + 60 + 86400.5,
      univ__duration_seconds: 210,
      sessions: 3,
      session_seconds: 1200,
      univ__sessions: 1,
      mooc__sessions: 2,
      mooc__session_seconds: 0,
      assessments: 3,
      successes: 1,
      verb_answered: 3,
      univ__verb_answered: 2,
      mooc__verb_answered: 1,
      verb_launched: 1,
      video_progress_max: 0.25,
      univ__video_progress_max: null,
      reading: 0,
    });
    expect(alice[0]!.score_scaled_mean).toBeCloseTo((0.8 + 0.4 + 1) / 3, 12);
    expect(alice[1]).toMatchObject({
      statements: 1,
      reading: 1,
      reading_completed: 1,
      univ__reading: 1,
      mooc__statements: 0,
    });
    const [bob] = table.filter((r) => r.learner === "L-bob");
    expect(bob).toMatchObject({
      statements: 2,
      video_progress_max: 1,
      duration_seconds: 600,
      sessions: 1,
      session_seconds: 1800,
    });
    const [cy] = table.filter((r) => r.learner === "L-cy");
    expect(cy).toMatchObject({
      statements: 3,
      sessions: 2,
      session_seconds: 300,
      duration_seconds: 300,
      completions: 0,
    });
  });

  it("counts per day too", async () => {
    await buildLearnerPeriods(db, { cutoff: CUTOFF, period: "day" }, "daily");
    const alice = await rows(db, "SELECT period, statements FROM daily WHERE learner = 'L-alice'");
    expect(alice).toEqual([
      { period: 0, statements: 3 },
      { period: 2, statements: 2 },
      { period: 8, statements: 1 },
    ]);
  });

  it("is unchanged by statements at or after the cut-off (new verbs, types, learners included)", async () => {
    const before = await fresh();
    await loadStatements(before, [univ, mooc]);
    const withLate = await fresh();
    await loadStatements(withLate, [univ, mooc, late]);
    const a = await buildLearnerPeriods(before, { cutoff: CUTOFF, period: "week" });
    const b = await buildLearnerPeriods(withLate, { cutoff: CUTOFF, period: "week" });
    expect(b).toEqual(a);
    expect(await rows(withLate, "SELECT * FROM learner_periods")).toEqual(
      await rows(before, "SELECT * FROM learner_periods"),
    );
    // The check is sensitive: the same late statements one day later in the cut-off do change it.
    const c = await buildLearnerPeriods(withLate, { cutoff: "2024-03-17", period: "week" });
    expect(c.map((x) => x.name)).toContain("verb_cheated");
  });

  it("a feature computed after the cut-off fails this test", async () => {
    // Moves alice's answer to 23:59:59 the day before the cut-off: it must count; at 00:00 it must not.
    for (const [at, counted] of [
      ["2024-03-14T23:59:59.999Z", 1],
      ["2024-03-15T00:00:00Z", 0],
      ["2024-03-15T01:00:00+02:00", 1],
    ] as const) {
      const c = await fresh();
      await loadStatements(c, [univ]);
      await c.run(
        `UPDATE statements SET timestamp = make_timestamp(epoch_us(TIMESTAMPTZ '${at}')) WHERE object_id = 'https://univ.example/q2'`,
      );
      await buildLearnerPeriods(c, { cutoff: CUTOFF, period: "week" });
      const [r] = await rows(
        c,
        "SELECT sum(univ__verb_answered) - 1 AS n FROM learner_periods WHERE learner = 'L-alice'",
      );
      expect(r!.n).toBe(counted);
    }
  });

  it("refuses a cut-off that is not a day", () => {
    expect(() => sqlDay("2024-03-15' OR 1=1 --")).toThrow(RangeError);
    expect(() => sqlDay("2024-13-45")).toThrow(RangeError);
  });

  it("names pivoted columns stably, whatever the order they are seen in", () => {
    const a = iriColumns("verb_", [
      "http://b.example/x/completed",
      "http://a.example/completed",
      "http://c/completed_2",
    ]);
    const b = iriColumns("verb_", [
      "http://c/completed_2",
      "http://a.example/completed",
      "http://b.example/x/completed",
    ]);
    expect(a).toEqual(b);
    expect(new Set(a.map((c) => c.column)).size).toBe(3);
    expect(a[0]).toEqual({ iri: "http://a.example/completed", column: "verb_completed" });
  });
});

describe("sequences view", () => {
  it("orders each learner's items with their outcomes", async () => {
    await buildSequences(db, { unit: "item", threshold: 0.6 });
    const alice = await rows(
      db,
      "SELECT position, item, correct, provider FROM sequences WHERE learner = 'L-alice'",
    );
    expect(alice).toEqual([
      { position: 1, item: "https://univ.example/q1", correct: true, provider: "univ" },
      { position: 2, item: "https://univ.example/q2", correct: false, provider: "univ" },
      { position: 3, item: "https://mooc.example/q9", correct: true, provider: "mooc" },
    ]);
    const cy = await rows(db, "SELECT item, correct FROM sequences WHERE learner = 'L-cy'");
    expect(cy).toEqual([{ item: "https://mooc.example/q9", correct: false }]);
    await buildSequences(db, { unit: "item", cutoff: "2024-03-15" }, "before");
    const bob = await rows(db, "SELECT count(*) AS n FROM before WHERE learner = 'L-bob'");
    expect(bob).toEqual([{ n: 0 }]);
  });

  it("expands statements into the skills they are evidence of", async () => {
    await buildSequences(db, { unit: "skill" }, "skill_sequences");
    const alice = await rows(
      db,
      "SELECT position, skill, correct FROM skill_sequences WHERE learner = 'L-alice'",
    );
    expect(alice).toEqual([
      { position: 1, skill: "https://skills.example/S1", correct: true },
      { position: 2, skill: "https://skills.example/S1", correct: false },
      { position: 3, skill: "https://skills.example/S2", correct: false },
    ]);
  });
});

describe("writing shards", () => {
  async function build(dir: string) {
    const c = await fresh();
    await loadStatements(c, [univ, mooc]);
    await buildLearnerPeriods(c, { cutoff: CUTOFF, period: "day" });
    await c.run(
      "CREATE TABLE split_periods AS SELECT *, CASE WHEN learner = 'L-bob' THEN 'test' ELSE 'train' END AS split FROM learner_periods",
    );
    const files = await writeShards(c, "split_periods", {
      dir,
      orderBy: ["learner", "period"],
      splitColumn: "split",
      shardRows: 2,
      rowGroupRows: 1,
      formats: ["parquet", "csv", "jsonl"],
    });
    return { c, files };
  }

  const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

  it("writes the Hugging Face layout, byte-identical from one build to the next, and DuckDB reads it back", async () => {
    const one = join(work, "one");
    const two = join(work, "two");
    const { c, files } = await build(one);
    const again = await build(two);
    const parquet = files.filter((f) => f.format === "parquet");
    expect(parquet.map((f) => [f.path, f.rows])).toEqual([
      ["data/test-00000-of-00001.parquet", 1],
      ["data/train-00000-of-00003.parquet", 2],
      ["data/train-00001-of-00003.parquet", 2],
      ["data/train-00002-of-00003.parquet", 1],
    ]);
    expect(files.map((f) => f.path)).toContain("data/train-00002-of-00003.csv");
    expect(files.map((f) => f.path)).toContain("data/train-00002-of-00003.jsonl");
    for (const f of files) expect(sha(join(two, f.path))).toBe(sha(join(one, f.path)));
    expect(again.files).toEqual(files);

    for (const f of parquet) {
      const [r] = await rows(c, `SELECT count(*) AS n FROM read_parquet('${join(one, f.path)}')`);
      expect(r!.n).toBe(f.rows);
      const meta = await rows(c, `SELECT DISTINCT compression FROM parquet_metadata('${join(one, f.path)}')`);
      expect(meta).toEqual([{ compression: "ZSTD" }]);
    }
    const back = await rows(
      c,
      `SELECT * FROM read_parquet('${join(one, "data/train-*.parquet")}') ORDER BY learner, period`,
    );
    const original = await rows(
      c,
      "SELECT * FROM split_periods WHERE split = 'train' ORDER BY learner, period",
    );
    expect(back).toEqual(original);
    const csv = await rows(c, `SELECT count(*) AS n FROM read_csv('${join(one, "data/*.csv")}')`);
    const jsonl = await rows(c, `SELECT count(*) AS n FROM read_json('${join(one, "data/*.jsonl")}')`);
    expect([csv[0]!.n, jsonl[0]!.n]).toEqual([6, 6]);
  });

  it("refuses an order with ties, which would make files differ from build to build", async () => {
    await expect(
      writeShards(db, "statements", { dir: join(work, "ties"), orderBy: ["learner"] }),
    ).rejects.toThrow(/tied/);
  });
});
