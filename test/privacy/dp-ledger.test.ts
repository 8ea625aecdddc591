import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import { BudgetExceededError, NoBudgetError, PrivacyLedger } from "../../src/privacy/dp/index.js";
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
      await ledger.spend(ask(0.6, 0, "audited"), () => ({ secret: 4242 }));
      await expect(ledger.spend(ask(0.6, 0, "audited"), () => ({ secret: 4343 }))).rejects.toThrow(
        /budget spent/,
      );
      const audit = new AuditLog(db);
      const events = (await audit.list()).filter((e) => e.subject === "dp:audited:lab");
      expect(events.map((e) => e.action)).toEqual(["dp.budget.set", "dp.charge", "dp.refusal"]);
      expect(JSON.stringify(events)).not.toMatch(/4242|4343/);
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
