import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fitGbdt, predictGbdt, rocAuc, syntheticTable } from "../../src/train/index.js";
import {
  cutoffDate,
  log1pCounts,
  OULAD_GBDT,
  OULAD_LOGISTIC,
  type OuladPool,
  ouladCountFeatures,
  ouladDayAuc,
  ouladRowsAt,
  ouladTables,
  poolOulad,
  refreshOuladTables,
  selectOuladGbdt,
  selectOuladLogistic,
  stagedAuc,
} from "../../src/train/oulad.js";

const SHARED = "../shared/data/oulad";
const MODULES = ["AAA", "GGG"];
const DAY = 28;

/** The CSV lines of a table whose column `column` passes `keep` (OULAD quotes every text cell). */
function subset(file: string, keep: (cells: string[]) => boolean): string {
  const [header, ...lines] = readFileSync(file, "utf8").split(/\r?\n/);
  return `${[header, ...lines.filter((l) => l !== "" && keep(l.split(",").map((c) => c.replace(/^"|"$/g, ""))))].join("\n")}\n`;
}

describe("model selection helpers", () => {
  it("stagedAuc reads the AUC of the first k trees and keeps the best count", () => {
    const train = syntheticTable({ rows: 3000, features: 16, seed: 3 });
    const valid = syntheticTable({ rows: 2000, features: 16, seed: 4 });
    const model = fitGbdt(train.table, train.labels, { trees: 40, maxDepth: 3, learningRate: 0.3, seed: 1 });
    const staged = stagedAuc(model, valid.table, valid.labels, 10);
    expect(staged.curve).toHaveLength(4);
    const truncated = (k: number) =>
      rocAuc(predictGbdt({ ...model, trees: model.trees.slice(0, k) }, valid.table), valid.labels);
    // Same ranking as the model cut at 10, 20, 30, 40 trees (margins summed chunk by chunk).
    for (const [i, auc] of staged.curve.entries()) expect(auc).toBeCloseTo(truncated((i + 1) * 10), 10);
    expect(staged.auc).toBe(Math.max(...staged.curve));
    expect(staged.auc).toBeCloseTo(truncated(staged.trees), 10);
    expect(() => stagedAuc(model, valid.table, valid.labels, 0)).toThrow(/step 0/);
  });

  it("log1pCounts transforms the count columns only and keeps missing values missing", () => {
    const names = [
      "statements",
      "verb_submit",
      "prior_fails",
      "score_min",
      "lateness_mean",
      "registration_day",
    ];
    expect(ouladCountFeatures(names)).toEqual(["statements", "verb_submit", "prior_fails"]);
    const column = Float64Array.from([0, 9, Number.NaN]);
    const table = { names, rows: 3, columns: names.map(() => column) };
    const out = log1pCounts(table);
    expect([...out.columns[0]!]).toEqual([0, Math.log(10), Number.NaN]);
    expect([...out.columns[3]!]).toEqual([...column]);
    expect(table.columns[0]![1]).toBe(9); // the input is left as it was
  });
});

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(SHARED))(
  `OULAD modules ${MODULES.join(", ")} pooled (needs ../shared/data/oulad)`,
  () => {
    let pool: OuladPool;
    let rows: Record<string, unknown>[];
    const info = new Map<string, string>();
    const registration = new Map<string, { registered: number | null; unregistered: number | null }>();

    beforeAll(async () => {
      // A folder of the two modules' rows: the converter reads it as it reads the whole dataset.
      const dir = mkdtempSync(join(tmpdir(), "oulad-subset-"));
      temps.push(dir);
      mkdirSync(join(dir, "work"));
      const inModules = (cells: string[]) => MODULES.includes(cells[0]!);
      for (const table of ["courses", "assessments", "studentRegistration", "studentInfo"]) {
        writeFileSync(join(dir, `${table}.csv`), subset(join(SHARED, `${table}.csv`), inModules));
      }
      const assessments = new Set(
        subset(join(SHARED, "assessments.csv"), inModules)
          .split("\n")
          .slice(1)
          .map((l) => l.split(",")[2]?.replace(/"/g, "")),
      );
      writeFileSync(
        join(dir, "studentAssessment.csv"),
        subset(join(SHARED, "studentAssessment.csv"), (cells) => assessments.has(cells[1]!)),
      );
      for (const line of readFileSync(join(dir, "studentInfo.csv"), "utf8").split("\n").slice(1)) {
        const c = line.split(",").map((x) => x.replace(/"/g, ""));
        if (c.length > 1) info.set(`${c[2]}/${c[0]}/${c[1]}`, c[11]!);
      }
      for (const line of readFileSync(join(dir, "studentRegistration.csv"), "utf8").split("\n").slice(1)) {
        const c = line.split(",").map((x) => x.replace(/"/g, ""));
        const day = (v: string | undefined) => (v === undefined || v === "?" || v === "" ? null : Number(v));
        if (c.length > 1)
          registration.set(`${c[2]}/${c[0]}/${c[1]}`, { registered: day(c[3]), unregistered: day(c[4]) });
      }
      pool = await poolOulad({ dir, work: join(dir, "work") });
      rows = await ouladRowsAt(pool, DAY);
    }, 60_000);
    afterAll(() => pool?.close());

    it("converts every record, one provider per module", () => {
      expect(pool.records.rejected).toBe(0);
      expect(Object.keys(pool.statements).sort()).toEqual(MODULES);
      // Skipped: exactly the Withdrawn final results (the withdrawal is the unregistered statement).
      expect(pool.records.skipped).toBe([...info.values()].filter((r) => r === "Withdrawn").length);
      const learners = new Set(rows.map((r) => r.learner));
      expect(learners.size).toBeGreaterThan(2000);
    });

    it("labels from the statements agree with studentInfo's final_result", () => {
      let mismatches = 0;
      let checked = 0;
      for (const row of rows) {
        const result = info.get(String(row.learner));
        if (result === undefined) {
          mismatches++;
          continue;
        }
        if (row.at_risk === null) {
          // No outcome statement: a Withdrawn without an unregistration date.
          if (!(result === "Withdrawn" && registration.get(String(row.learner))?.unregistered === null))
            mismatches++;
          continue;
        }
        checked++;
        if (row.at_risk !== (result === "Withdrawn" || result === "Fail")) mismatches++;
        if (row.withdrawn !== (result === "Withdrawn")) mismatches++;
      }
      expect(checked).toBeGreaterThan(2000);
      expect(mismatches).toBe(0);
    });

    it("holds at day d only learners registered before d and not unregistered before d", () => {
      const inRows = new Set(rows.map((r) => String(r.learner)));
      let wrong = 0;
      for (const [key, r] of registration) {
        const expected =
          r.registered !== null && r.registered < DAY && (r.unregistered === null || r.unregistered >= DAY);
        if (expected !== inRows.has(key)) wrong++;
      }
      expect(wrong).toBe(0);
    });

    it("uses nothing from after the cut-off: scrambling every later statement leaves every feature as it was", async () => {
      // One calendar instant: day 28 of 2013J. Everything after it, in every module and presentation
      // (a learner's other registrations included), is scrambled; 2013J's rows must not move.
      const at = `TIMESTAMP '${cutoffDate("2013J", DAY)} 00:00:00'`;
      const c = pool.connection;
      const after = `timestamp >= ${at}`;
      const later = Number(
        (await c.runAndReadAll(`SELECT count(*) FROM statements WHERE ${after}`)).getRowsJS()[0]![0],
      );
      expect(later).toBeGreaterThan(10_000);
      await c.run(`UPDATE statements SET score_scaled = random(), success = random() < 0.5 WHERE ${after}`);
      await c.run(`DELETE FROM statements WHERE ${after} AND random() < 0.3`);
      // Later withdrawals of learners who stayed: labels change, features must not.
      await c.run(
        `INSERT INTO statements SELECT * REPLACE ('http://id.tincanapi.com/verb/unregistered' AS verb)
       FROM statements WHERE ${after} AND verb = 'http://activitystrea.ms/schema/1.0/submit' LIMIT 300`,
      );
      await refreshOuladTables(pool);
      const before = rows.filter((r) => r.presentation === "2013J");
      const scrambled = (await ouladRowsAt(pool, DAY, ["2013J"])).filter((r) => r.presentation === "2013J");
      const features = (r: Record<string, unknown>) => {
        const { at_risk: _a, withdrawn: _w, ...rest } = r;
        return rest;
      };
      expect(before.length).toBeGreaterThan(500);
      expect(scrambled.length).toBe(before.length);
      let differ = 0;
      scrambled.forEach((r, i) => {
        if (JSON.stringify(features(r)) !== JSON.stringify(features(before[i]!))) differ++;
      });
      expect(differ).toBe(0);
      const labelsChanged = scrambled.filter((r, i) => r.at_risk !== before[i]!.at_risk).length;
      expect(labelsChanged).toBeGreaterThan(0); // the scramble did reach what comes after
    }, 30_000);

    it("trains on 2013 and tells 2014's at-risk learners apart well above chance", () => {
      const tables = ouladTables(rows, "at_risk");
      expect(tables.test.table.names).toEqual(tables.train.table.names);
      expect(new Set(tables.all.splits)).toEqual(new Set(["train", "test"]));
      const auc = ouladDayAuc(rows, DAY, "at_risk", {
        gbdt: { trees: 150, learningRate: 0.05, maxDepth: 4, minChildWeight: 10, seed: 1 },
      });
      expect(auc.nTrain).toBeGreaterThan(1000);
      expect(auc.nTest).toBeGreaterThan(1000);
      expect(auc.gbdt).toBeGreaterThan(0.6);
      expect(auc.logistic).toBeGreaterThan(0.55);
    });

    it("uses the recorded per-label models by default", () => {
      const byDefault = ouladDayAuc(rows, DAY, "withdrawn");
      const explicit = ouladDayAuc(rows, DAY, "withdrawn", {
        gbdt: OULAD_GBDT.withdrawn,
        logistic: OULAD_LOGISTIC.withdrawn,
      });
      expect(byDefault).toEqual(explicit);
      const raw = ouladDayAuc(rows, DAY, "withdrawn", {
        gbdt: OULAD_GBDT.withdrawn,
        logistic: { params: OULAD_LOGISTIC.withdrawn.params, log1pCounts: false },
      });
      expect(raw.logistic).not.toBe(byDefault.logistic); // the log1p setting reaches the model
    });

    it("selects on 2013 only: its result does not move when 2014 is dropped, and 2014 is refused", () => {
      // AAA and GGG have no 2013B: half of 2013J's registrations (by a stable hash) stand in for it.
      const half = (learner: string) =>
        [...learner].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % 2;
      const staged = rows.map((r) =>
        r.presentation === "2013J" && half(String(r.learner)) === 0 ? { ...r, presentation: "2013B" } : r,
      );
      const without2014 = staged.filter((r) => String(r.presentation).startsWith("2013"));
      const grid = { maxDepth: [2, 3], learningRate: [0.2], minChildWeight: [1], subsample: [1] };
      const options = { grid, budget: 6 };
      const withAll = selectOuladGbdt(staged, "at_risk", options);
      expect(withAll.trials).toHaveLength(2);
      expect(withAll.folds.map((f) => [f.train, f.test])).toEqual([
        [["2013B"], ["2013J"]],
        [["2013J"], ["2013B"]],
      ]);
      for (const n of withAll.nValidation) expect(n).toBeGreaterThan(200);
      expect(selectOuladGbdt(without2014, "at_risk", options)).toEqual(withAll);
      expect(withAll.best.validationAuc).toBe(Math.max(...withAll.trials.map((t) => t.validationAuc)));
      expect(withAll.chosen.trees).toBe(withAll.best.trees);
      expect(withAll.best.trees).toBeLessThanOrEqual(30);
      const logistic = selectOuladLogistic(staged, "at_risk", { l2: [1e-4, 1e-1] });
      expect(logistic.trials.map((t) => [t.l2, t.log1pCounts])).toEqual([
        [1e-4, false],
        [1e-1, false],
        [1e-4, true],
        [1e-1, true],
      ]);
      expect(selectOuladLogistic(without2014, "at_risk", { l2: [1e-4, 1e-1] })).toEqual(logistic);
      expect(logistic.chosen).toEqual({
        params: { l2: logistic.best.l2 },
        log1pCounts: logistic.best.log1pCounts,
      });
      expect(() =>
        selectOuladGbdt(staged, "at_risk", { ...options, folds: [{ train: ["2013J"], test: ["2014J"] }] }),
      ).toThrow(/2014J.*not for selection/);
      expect(() =>
        selectOuladLogistic(without2014, "at_risk", { folds: [{ train: ["2013X"], test: ["2013J"] }] }),
      ).toThrow(/no row of the training presentations 2013X/);
    }, 60_000);
  },
);
