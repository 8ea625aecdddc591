import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cutoffDate,
  type OuladPool,
  ouladDayAuc,
  ouladRowsAt,
  ouladTables,
  poolOulad,
  refreshOuladTables,
} from "../../src/train/oulad.js";

const SHARED = "../shared/data/oulad";
const MODULES = ["AAA", "GGG"];
const DAY = 28;

/** The CSV lines of a table whose column `column` passes `keep` (OULAD quotes every text cell). */
function subset(file: string, keep: (cells: string[]) => boolean): string {
  const [header, ...lines] = readFileSync(file, "utf8").split(/\r?\n/);
  return `${[header, ...lines.filter((l) => l !== "" && keep(l.split(",").map((c) => c.replace(/^"|"$/g, ""))))].join("\n")}\n`;
}

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
  },
);
