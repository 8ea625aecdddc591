import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { afterAll, describe, expect, it, vi } from "vitest";
import { dpCommands, runQuery, setBudget, showBudget } from "../../src/cli/dp.js";
import { zcdpEpsilon, zcdpRho } from "../../src/privacy/dp/index.js";

const db = `/tmp/learnpool-dp-cli-${randomBytes(6).toString("hex")}.db`;
const pooled = new URL("./fixtures/dp/pooled.csv", import.meta.url).pathname;
const bad = new URL("./fixtures/dp/bad.csv", import.meta.url).pathname;

afterAll(() => {
  for (const suffix of ["", "-wal", "-shm"]) rmSync(`${db}${suffix}`, { force: true });
});

const base = {
  db,
  dataset: "oulad-v1",
  consumer: "lab",
  in: pooled,
  learnerColumn: "learner",
  noise: "laplace" as const,
  maxContributions: 1,
};

describe("learnpool dp", () => {
  it("budget set, then queries of each statistic print the noisy result and the remaining budget", async () => {
    const status = await setBudget({ db, dataset: "oulad-v1", consumer: "lab", epsilon: 5, delta: 1e-5 });
    expect(status.remaining).toEqual({ epsilon: "5.0", delta: "0.00001" });

    const c = await runQuery({ ...base, statistic: "count", epsilon: 1 });
    expect(typeof c.result).toBe("number");
    expect(Math.abs((c.result as number) - 301)).toBeLessThan(30);
    expect(c.remaining).toEqual({ epsilon: "4.0", delta: "0.00001" });
    expect(c.guarantee).toMatch(/discrete Laplace.*1-DP/);

    const m = await runQuery({
      ...base,
      statistic: "mean",
      column: "score",
      bounds: "0,100",
      epsilon: 1,
      maxContributions: 3,
    });
    expect(m.result as number).toBeGreaterThanOrEqual(0);
    expect(m.result as number).toBeLessThanOrEqual(100);

    const h = await runQuery({
      ...base,
      statistic: "histogram",
      column: "score",
      bins: "0,50,101",
      epsilon: 0.5,
    });
    expect((h.result as { lower: number }[]).map((b) => b.lower)).toEqual([0, 50]);

    const t = await runQuery({
      ...base,
      statistic: "table",
      groupBy: "course,region",
      keys: ["course=AAA|BBB", "region=North|South"],
      epsilon: 0.5,
    });
    expect((t.result as { key: string[] }[]).map((x) => x.key.join("/"))).toEqual([
      "AAA/North",
      "AAA/South",
      "BBB/North",
      "BBB/South",
    ]);

    const s = await runQuery({ ...base, statistic: "table", groupBy: "course", epsilon: 1, delta: 4e-6 });
    const keys = (s.result as { key: string[] }[]).map((x) => x.key[0]);
    expect(keys).toEqual(["AAA", "BBB", "CCC"]); // RARE (one learner) is not selected
    expect(s.charged).toEqual({ epsilon: "1.0", delta: "0.000004" });

    const shown = await showBudget({ db, dataset: "oulad-v1", consumer: "lab" });
    expect(shown.spent).toEqual({ epsilon: "4.0", delta: "0.000004" });
    expect(shown.history.map((x) => x.statistic)).toEqual([
      "count",
      "mean of score",
      "histogram of score",
      "table by course,region",
      "table by course",
    ]);
  });

  it("refuses once the budget would be exceeded, with the amounts", async () => {
    await expect(runQuery({ ...base, statistic: "count", epsilon: 1.5 })).rejects.toThrow(
      "budget spent: ε 4.0 of 5.0 used; this query needs 1.5",
    );
  });

  it("bad input names what and where, before anything is charged", async () => {
    await setBudget({ db, dataset: "bad", consumer: "lab", epsilon: 1, delta: 0 });
    const q = { ...base, dataset: "bad", in: bad };
    await expect(
      runQuery({ ...q, statistic: "sum", column: "score", bounds: "0,100", epsilon: 0.1 }),
    ).rejects.toThrow(/bad\.csv line 3: column score: "abc" is not a number/);
    await expect(runQuery({ ...q, statistic: "sum", column: "score", epsilon: 0.1 })).rejects.toThrow(
      /needs --bounds lo,hi/,
    );
    await expect(runQuery({ ...q, statistic: "count", learnerColumn: "id", epsilon: 0.1 })).rejects.toThrow(
      /no column "id"/,
    );
    await expect(
      runQuery({ ...base, dataset: "bad", statistic: "table", groupBy: "course", epsilon: 0.1 }),
    ).rejects.toThrow(/needs --delta/);
    await expect(
      runQuery({
        ...base,
        dataset: "bad",
        statistic: "table",
        groupBy: "course,region",
        keys: ["course=AAA"],
        epsilon: 0.1,
      }),
    ).rejects.toThrow(/no values declared for region/);
    expect((await showBudget({ db, dataset: "bad", consumer: "lab" })).charges).toBe(0);
  });

  it("the commands parse their options (commander wiring)", async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const [dp] = dpCommands();
      await dp?.parseAsync(
        ["budget", "set", "--dataset", "cli", "--consumer", "lab", "--epsilon", "1", "--db", db],
        { from: "user" },
      );
      const [dp2] = dpCommands();
      await dp2?.parseAsync(
        [
          "query",
          "--dataset",
          "cli",
          "--consumer",
          "lab",
          "--in",
          pooled,
          "--learner-column",
          "learner",
          "--statistic",
          "sum",
          "--column",
          "score",
          "--bounds",
          "0,100",
          "--epsilon",
          "0.25",
          "--max-contributions",
          "2",
          "--db",
          db,
        ],
        { from: "user" },
      );
    } finally {
      spy.mockRestore();
    }
    const printed = JSON.parse(out[1] as string);
    expect(printed).toMatchObject({
      statistic: "sum",
      column: "score",
      remaining: { epsilon: "0.75", delta: "0.0" },
    });
    expect(printed.mechanisms[0]).toMatchObject({ kind: "discrete-laplace", sensitivity: 2 * 100 * 10_000 });
  });

  it("a zCDP budget (--rho): Gaussian queries charged their ρ, Laplace ε²/2; show prints ρ and (ε, δ)", async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    try {
      const [dp] = dpCommands();
      await dp?.parseAsync(
        [
          "budget",
          "set",
          "--dataset",
          "z",
          "--consumer",
          "lab",
          "--rho",
          "0.5",
          "--delta",
          "1e-6",
          "--db",
          db,
        ],
        { from: "user" },
      );
    } finally {
      spy.mockRestore();
    }
    expect(JSON.parse(out[0] as string)).toMatchObject({ accounting: "zcdp", budget: { rho: "0.5" } });
    const q = { ...base, dataset: "z" };
    const g = await runQuery({ ...q, statistic: "count", noise: "gaussian", epsilon: 1, delta: 1e-6 });
    const rho = Number(g.charged.rho);
    // The count's σ is calibrated on the exact profile, so its ρ exceeds the zCDP conversion's for (1, 1e-6).
    expect(rho).toBeCloseTo(g.mechanisms[0]?.rho as number, 12);
    expect(rho).toBeGreaterThan(zcdpRho(1, 1e-6));
    const l = await runQuery({ ...q, statistic: "count", epsilon: 0.2 });
    expect(l.charged.rho).toBe("0.02");
    await expect(
      runQuery({ ...q, statistic: "table", groupBy: "course", noise: "gaussian", epsilon: 1, delta: 1e-6 }),
    ).rejects.toThrow(/no ρ to charge/);
    const shown = await showBudget({ db, dataset: "z", consumer: "lab" });
    expect(shown.composition).toMatch(/Σρ/);
    if (shown.accounting !== "zcdp") throw new Error("expected a zCDP budget");
    expect(Number(shown.spent.rho)).toBeCloseTo(rho + 0.02, 9);
    expect(Number(shown.spent.epsilon)).toBeCloseTo(zcdpEpsilon(Number(shown.spent.rho), 1e-6), 9);
    expect(shown.history.map((c) => c.rho)).toEqual([g.charged.rho, "0.02"]);
    await expect(setBudget({ db, dataset: "z", consumer: "lab", epsilon: 1, rho: 1 })).rejects.toThrow(
      /either --epsilon .* or --rho/,
    );
  });
});
