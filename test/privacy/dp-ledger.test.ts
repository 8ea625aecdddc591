import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import {
  BudgetExceededError,
  NoBudgetError,
  PrivacyLedger,
  zcdpEpsilon,
} from "../../src/privacy/dp/index.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";

for (const backend of await backends()) {
  describe(`privacy-budget ledger (${backend.name})`, () => {
    let db: Database;
    let ledger: PrivacyLedger;
    beforeAll(async () => {
      db = await backend.open();
      ledger = new PrivacyLedger(db);
    });
    afterAll(async () => {
      await db.close();
    });

    const ask = (epsilon: number, delta = 0, dataset = "oulad-v1", consumer = "lab") => ({
      dataset,
      consumer,
      epsilon,
      delta,
      statistic: "count",
      mechanism: "discrete-laplace",
      actor: "test",
    });

    it("a query without a budget is refused, and the refusal audited", async () => {
      await expect(ledger.spend(ask(0.1, 0, "none"), () => 1)).rejects.toBeInstanceOf(NoBudgetError);
      const events = await new AuditLog(db).list();
      expect(events.at(-1)).toMatchObject({
        action: "dp.refusal",
        subject: "dp:none:lab",
        details: { reason: "no budget" },
      });
    });

    it("charges add up exactly (0.1 + 0.2 fits 0.3) and the next one is refused with the amounts", async () => {
      await ledger.setBudget("exact", "lab", { epsilon: 0.3, delta: 1e-6 }, "test");
      await ledger.spend(ask(0.1, 0, "exact"), () => "a");
      const { result, status } = await ledger.spend(ask(0.2, 0, "exact"), () => "b");
      expect(result).toBe("b");
      expect(status.remaining).toEqual({ epsilon: "0.0", delta: "0.000001" });
      await expect(ledger.spend(ask(0.2, 0, "exact"), () => "c")).rejects.toThrow(
        "budget spent: ε 0.3 of 0.3 used; this query needs 0.2",
      );
    });

    it("the message of the brief: ε 0.9 of 1.0 used, this query needs 0.2; δ is checked too", async () => {
      await ledger.setBudget("oulad-v1", "lab", { epsilon: 1, delta: 1e-5 }, "test");
      for (const e of [0.5, 0.4]) await ledger.spend(ask(e, 4e-6), () => null);
      const refusal = ledger.spend(ask(0.2), () => null);
      await expect(refusal).rejects.toBeInstanceOf(BudgetExceededError);
      await expect(refusal).rejects.toThrow("budget spent: ε 0.9 of 1.0 used; this query needs 0.2");
      await expect(ledger.spend(ask(0.05, 3e-6), () => null)).rejects.toThrow(
        "budget spent: δ 0.000008 of 0.00001 used; this query needs 0.000003",
      );
      const status = await ledger.status("oulad-v1", "lab");
      expect(status).toMatchObject({
        budget: { epsilon: "1.0", delta: "0.00001" },
        spent: { epsilon: "0.9", delta: "0.000008" },
        remaining: { epsilon: "0.1", delta: "0.000002" },
        charges: 2,
      });
      const charges = await ledger.charges("oulad-v1", "lab");
      expect(charges.map((c) => c.epsilon)).toEqual(["0.5", "0.4"]);
    });

    it("every charge and refusal is in the audit trail, never the result; the chain verifies", async () => {
      await ledger.setBudget("audited", "lab", { epsilon: 1, delta: 0 }, "test");
      await ledger.spend(ask(0.6, 0, "audited"), () => ({ secret: 987654321 }));
      await expect(ledger.spend(ask(0.6, 0, "audited"), () => ({ secret: 987654322 }))).rejects.toThrow(
        /budget spent/,
      );
      const audit = new AuditLog(db);
      const events = (await audit.list()).filter((e) => e.subject === "dp:audited:lab");
      expect(events.map((e) => e.action)).toEqual(["dp.budget.set", "dp.charge", "dp.refusal"]);
      // Searched in what the events say, not in their hashes (hex digits hold any short number by chance).
      const said = JSON.stringify(
        events.map((e) => ({ action: e.action, actor: e.actor, details: e.details })),
      );
      expect(said).not.toMatch(/98765432[12]/);
      expect(events[1]?.details).toMatchObject({
        epsilon: "0.6",
        statistic: "count",
        spent: { epsilon: "0.6" },
      });
      expect((await audit.verify()).ok).toBe(true);
    });

    it("an answer that fails rolls its charge back", async () => {
      await ledger.setBudget("rollback", "lab", { epsilon: 1, delta: 0 }, "test");
      await expect(
        ledger.spend(ask(0.5, 0, "rollback"), () => {
          throw new Error("boom");
        }),
      ).rejects.toThrow("boom");
      expect((await ledger.status("rollback", "lab"))?.spent.epsilon).toBe("0.0");
    });

    it("concurrent queries never overspend: 12 asks of 0.3 against 1.0, exactly 3 answered", async () => {
      await ledger.setBudget("race", "lab", { epsilon: 1, delta: 0 }, "test");
      // On PostgreSQL, each through its own connection of the pool, serialized by the ledger's lock.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, () =>
          ledger.spend(ask(0.3, 0, "race"), async () => {
            await new Promise((r) => setTimeout(r, 5));
            return 1;
          }),
        ),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(3);
      expect((await ledger.status("race", "lab"))?.spent.epsilon).toBe("0.9");
    });

    it("bad input names what is wrong", async () => {
      await expect(ledger.setBudget("x", "lab", { epsilon: -1, delta: 0 }, "t")).rejects.toThrow(
        /the budget: ε must be a positive number/,
      );
      await expect(ledger.setBudget("", "lab", { epsilon: 1, delta: 0 }, "t")).rejects.toThrow(
        /dataset must be a non-empty name/,
      );
      await expect(ledger.spend(ask(1, 2), () => 1)).rejects.toThrow(/the query: δ must be in \[0, 1\)/);
    });
  });
}

for (const backend of await backends()) {
  describe(`privacy-budget ledger in zCDP (${backend.name})`, () => {
    let db: Database;
    let ledger: PrivacyLedger;
    beforeAll(async () => {
      db = await backend.open();
      ledger = new PrivacyLedger(db);
    });
    afterAll(async () => {
      await db.close();
    });

    const gaussian = (rho: number, dataset: string) => ({
      dataset,
      consumer: "lab",
      epsilon: 0,
      delta: 0,
      rho,
      statistic: "count",
      mechanism: "discrete-gaussian",
      actor: "test",
    });
    const laplace = (epsilon: number, dataset: string, delta = 0) => ({
      ...gaussian(1, dataset),
      rho: undefined,
      epsilon,
      delta,
      mechanism: "discrete-laplace",
    });

    it("ρ adds up exactly, Laplace ε costs ε²/2, and the (ε, δ) view is CKS's conversion of Σρ", async () => {
      const set = await ledger.setBudget("z", "lab", { rho: 0.5, delta: 1e-6 }, "test");
      expect(set).toMatchObject({ accounting: "zcdp", budget: { rho: "0.5", delta: "0.000001" } });
      expect(Number(set.budget.epsilon)).toBeCloseTo(zcdpEpsilon(0.5, 1e-6), 9);
      await ledger.spend(gaussian(0.1, "z"), () => 1);
      const { status, charge } = await ledger.spend(laplace(0.2, "z"), () => 2);
      expect(charge.rho).toBe("0.02");
      expect(status.spent).toMatchObject({ rho: "0.12", delta: "0.000001" });
      expect(Number(status.spent.epsilon)).toBeCloseTo(zcdpEpsilon(0.12, 1e-6), 9);
      expect(Number(status.spent.epsilon)).toBeLessThan(0.12 + 2 * Math.sqrt(0.12 * Math.log(1e6)));
      expect(status.remaining).toMatchObject({ rho: "0.38" });
      expect((await ledger.charges("z", "lab")).map((c) => c.rho)).toEqual(["0.1", "0.02"]);
    });

    it("refuses what would exceed ρ, and δ > 0 without ρ, with clear messages; audited", async () => {
      await ledger.setBudget("zr", "lab", { rho: 0.3 }, "test");
      await ledger.spend(gaussian(0.2, "zr"), () => 1);
      await expect(ledger.spend(gaussian(0.15, "zr"), () => 1)).rejects.toThrow(
        /budget spent: ρ 0.2 of 0.3 used \(zCDP: ρ adds up; that is \(ε [0-9.]+, δ 0.000001\)\); this query needs ρ 0.15/,
      );
      await expect(ledger.spend(laplace(0.1, "zr", 1e-7), () => 1)).rejects.toThrow(
        /a query with δ > 0 has no ρ to charge/,
      );
      await ledger.setBudget("ed", "lab", { epsilon: 1, delta: 1e-6 }, "test");
      await expect(ledger.spend(gaussian(0.01, "ed"), () => 1)).rejects.toThrow(/this budget is in \(ε, δ\)/);
      const events = (await new AuditLog(db).list()).filter((e) => e.subject === "dp:zr:lab");
      expect(events.map((e) => e.action)).toEqual(["dp.budget.set", "dp.charge", "dp.refusal", "dp.refusal"]);
      await expect(ledger.setBudget("zr", "lab", { rho: -1 }, "t")).rejects.toThrow(/ρ must be a positive/);
    });

    it("concurrent charges never overspend ρ: 12 asks of 0.07 against 0.25, exactly 3 answered", async () => {
      await ledger.setBudget("zrace", "lab", { rho: 0.25, delta: 1e-6 }, "test");
      const outcomes = await Promise.allSettled(
        Array.from({ length: 12 }, () =>
          ledger.spend(gaussian(0.07, "zrace"), async () => {
            await new Promise((r) => setTimeout(r, 5));
            return 1;
          }),
        ),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(3);
      expect((await ledger.status("zrace", "lab"))?.spent).toMatchObject({ rho: "0.21" });
    });
  });
}
