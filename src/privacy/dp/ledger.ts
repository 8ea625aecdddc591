/**
 * The privacy-budget ledger: per (dataset, consumer), the budget the agreement grants and every charge
 * against it, persisted (tables `dp_budgets`, `dp_charges`, migrations 4 and 5).
 *
 * A budget is declared in one of two accountings, and each states its composition:
 * - (ε, δ), "approximate": basic sequential composition. Releases that were (ε_i, δ_i)-DP are together
 *   (Σε_i, Σδ_i)-DP (Dwork and Roth 2014, Theorem 3.16), whatever the mechanisms; a discrete Gaussian
 *   is charged the (ε, δ) it was calibrated for. A query is answered only if both sums stay within.
 * - ρ, "zcdp": zero-concentrated DP composes additively, Σρ_i (Bun and Steinke 2016, Lemma 2.3). A
 *   discrete Gaussian is charged its ρ = Δ₂²/(2σ²); a pure ε-DP (Laplace) query is charged ε²/2 (their
 *   Proposition 1.4); a query with δ > 0 and no ρ (partition selection) has no zCDP guarantee and is
 *   refused. The ledger reports the (ε, δ) the spent ρ implies at the budget's δ, by CKS 2020's
 *   conversion (`accounting.ts`), tighter than ρ + 2√(ρ·ln 1/δ).
 *
 * The decision, the charge and its audit event are one transaction under the lock
 * `dp-ledger:<dataset>:<consumer>`, so concurrent queries cannot both pass a check that only one of
 * them fits; the answer is computed inside that transaction, after the charge is written. A refusal is
 * audited too. The audit trail records what was charged, never what was released.
 *
 * Amounts (ε, δ, ρ) are exact decimals (fixed point, 30 places, BigInt): 0.1 + 0.2 fits a budget of 0.3.
 */
import { AuditLog } from "../../audit/index.js";
import type { Database, Queryable } from "../../store/index.js";
import { zcdpEpsilon } from "./accounting.js";
import { decimalRational } from "./samplers.js";

const PLACES = 30n;
const ONE = 10n ** PLACES;

/** An exact amount of ε or δ, in units of 10^-30. */
type Units = bigint;

function toUnits(x: number, rounding: "up" | "down"): Units {
  const r = decimalRational(x);
  const scaled = r.num * ONE;
  const q = scaled / r.den;
  return rounding === "up" && q * r.den !== scaled ? q + 1n : q;
}

function parseUnits(text: string): Units {
  const match = /^(\d+)(?:\.(\d{1,30}))?$/.exec(text);
  if (!match) throw new Error(`not a stored amount: ${text}`);
  return BigInt(match[1] as string) * ONE + BigInt((match[2] ?? "").padEnd(Number(PLACES), "0"));
}

/** Decimal text of an amount, with at least one decimal place ("1.0", "0.25", "0.000001"). */
export function formatAmount(units: Units): string {
  const whole = units / ONE;
  const fraction = (units % ONE).toString().padStart(Number(PLACES), "0").replace(/0+$/, "");
  return `${whole}.${fraction || "0"}`;
}

export interface Amounts {
  epsilon: string;
  delta: string;
}

export type Accounting = "approximate" | "zcdp";

/** A zCDP view: ρ, and the (ε, δ) it implies at the budget's δ (CKS conversion). */
export interface ZcdpAmounts extends Amounts {
  rho: string;
}

export type BudgetStatus =
  | {
      dataset: string;
      consumer: string;
      accounting: "approximate";
      composition: string;
      budget: Amounts;
      spent: Amounts;
      remaining: Amounts;
      charges: number;
    }
  | {
      dataset: string;
      consumer: string;
      accounting: "zcdp";
      composition: string;
      budget: ZcdpAmounts;
      spent: ZcdpAmounts;
      /** ρ left; its ε is what a release of all of it alone would give at δ. */
      remaining: ZcdpAmounts;
      charges: number;
    };

const COMPOSITION: Record<Accounting, string> = {
  approximate: "basic sequential composition: Σε and Σδ, each within the budget",
  zcdp: "zCDP composition: Σρ within the budget (Laplace ε charged ε²/2); (ε, δ) by CKS 2020's conversion",
};

export interface Charge {
  id: number;
  at: string;
  actor: string;
  statistic: string;
  mechanism: string;
  epsilon: string;
  delta: string;
  /** The ρ charged (zCDP budgets only). */
  rho?: string;
}

export interface ChargeRequest {
  dataset: string;
  consumer: string;
  /** The query's (ε, δ): what an (ε, δ) budget is charged; ε alone (δ = 0) also prices it in zCDP. */
  epsilon: number;
  delta: number;
  /** The query's ρ (its discrete Gaussians' Δ₂²/(2σ²), summed): what a zCDP budget is charged. */
  rho?: number;
  /** What is asked, for the record: "count", "mean of score", … (never a value of the data). */
  statistic: string;
  mechanism: string;
  actor: string;
}

export class NoBudgetError extends Error {
  constructor(dataset: string, consumer: string) {
    super(
      `no privacy budget for dataset ${dataset} and consumer ${consumer}: set one with \`learnpool dp budget set\``,
    );
    this.name = "NoBudgetError";
  }
}

export class BudgetExceededError extends Error {
  constructor(
    message: string,
    readonly status: BudgetStatus,
  ) {
    super(message);
    this.name = "BudgetExceededError";
  }
}

interface BudgetRow {
  epsilon: string;
  delta: string;
  accounting: Accounting;
  rho: string | null;
}

interface ChargeRow {
  id: number | string;
  at: string;
  actor: string;
  statistic: string;
  mechanism: string;
  epsilon: string;
  delta: string;
  rho: string | null;
}

/** ε²/2 exactly, rounded up to the ledger's precision. */
function laplaceRho(epsilon: number): Units {
  const r = decimalRational(epsilon);
  const num = r.num * r.num * ONE;
  const den = 2n * r.den * r.den;
  return num / den + (num % den === 0n ? 0n : 1n);
}

const amountOf = (x: number) => formatAmount(toUnits(x, "up"));

function checkName(what: string, value: string): void {
  if (typeof value !== "string" || value.trim() === "")
    throw new Error(`the ${what} must be a non-empty name`);
}

function checkRho(rho: number, context: string): void {
  if (!(Number.isFinite(rho) && rho > 0))
    throw new Error(`${context}: ρ must be a positive number (got ${rho})`);
}

function checkAmounts(epsilon: number, delta: number, context: string, epsilonMayBeZero = false): void {
  if (!(Number.isFinite(epsilon) && (epsilon > 0 || (epsilonMayBeZero && epsilon === 0))))
    throw new Error(`${context}: ε must be a positive number (got ${epsilon})`);
  if (!(Number.isFinite(delta) && delta >= 0 && delta < 1))
    throw new Error(`${context}: δ must be in [0, 1) (got ${delta})`);
}

const subject = (dataset: string, consumer: string) => `dp:${dataset}:${consumer}`;

export class PrivacyLedger {
  private readonly audit: AuditLog;

  constructor(
    private readonly db: Database,
    audit?: AuditLog,
  ) {
    this.audit = audit ?? new AuditLog(db);
  }

  private lock(dataset: string, consumer: string): string {
    return `dp-ledger:${dataset}:${consumer}`;
  }

  /**
   * Sets (or changes) the agreement's budget: (ε, δ), or ρ (zCDP) with the δ at which its (ε, δ) view is
   * reported (default 10⁻⁶). Lowering it below what is spent leaves nothing to spend; changing the
   * accounting keeps the charges, each priced in the new one (a charge with δ > 0 and no ρ then blocks
   * a zCDP budget: it has no ρ to count).
   */
  async setBudget(
    dataset: string,
    consumer: string,
    budget: { epsilon: number; delta: number } | { rho: number; delta?: number },
    actor: string,
  ): Promise<BudgetStatus> {
    checkName("dataset", dataset);
    checkName("consumer", consumer);
    let row: BudgetRow;
    if ("rho" in budget) {
      checkRho(budget.rho, "the budget");
      const delta = budget.delta ?? 1e-6;
      if (!(delta > 0 && delta < 1))
        throw new Error(`the budget: the δ of the (ε, δ) view must be in (0, 1) (got ${delta})`);
      const rho = formatAmount(toUnits(budget.rho, "down"));
      row = {
        accounting: "zcdp",
        rho,
        delta: formatAmount(toUnits(delta, "down")),
        epsilon: amountOf(zcdpEpsilon(Number(rho), delta)),
      };
    } else {
      checkAmounts(budget.epsilon, budget.delta, "the budget");
      row = {
        accounting: "approximate",
        rho: null,
        epsilon: formatAmount(toUnits(budget.epsilon, "down")),
        delta: formatAmount(toUnits(budget.delta, "down")),
      };
    }
    return this.db.transaction(
      async (tx) => {
        const now = new Date().toISOString();
        const existing = await tx.one<BudgetRow>(
          "SELECT epsilon, delta, accounting, rho FROM dp_budgets WHERE dataset = ? AND consumer = ?",
          [dataset, consumer],
        );
        if (existing)
          await tx.run(
            "UPDATE dp_budgets SET epsilon = ?, delta = ?, accounting = ?, rho = ?, updated_at = ? WHERE dataset = ? AND consumer = ?",
            [row.epsilon, row.delta, row.accounting, row.rho, now, dataset, consumer],
          );
        else
          await tx.run(
            "INSERT INTO dp_budgets (dataset, consumer, epsilon, delta, accounting, rho, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [dataset, consumer, row.epsilon, row.delta, row.accounting, row.rho, now, now],
          );
        const details = row.rho === null ? { epsilon: row.epsilon, delta: row.delta } : row;
        await this.audit.append(
          {
            actor,
            action: "dp.budget.set",
            subject: subject(dataset, consumer),
            details: { dataset, consumer, ...details, ...(existing && { previous: existing }) },
          },
          tx,
        );
        return (await this.statusIn(tx, dataset, consumer)) as BudgetStatus;
      },
      { lock: this.lock(dataset, consumer) },
    );
  }

  /** The budget, what is spent and what remains; undefined when no budget was set. */
  async status(dataset: string, consumer: string): Promise<BudgetStatus | undefined> {
    return this.statusIn(this.db, dataset, consumer);
  }

  async charges(dataset: string, consumer: string): Promise<Charge[]> {
    const rows = await this.db.all<ChargeRow>(
      "SELECT id, at, actor, statistic, mechanism, epsilon, delta, rho FROM dp_charges WHERE dataset = ? AND consumer = ? ORDER BY id",
      [dataset, consumer],
    );
    return rows.map(({ rho, ...r }) => ({ ...r, id: Number(r.id), ...(rho !== null && { rho }) }));
  }

  private async statusIn(q: Queryable, dataset: string, consumer: string): Promise<BudgetStatus | undefined> {
    const budget = await q.one<BudgetRow>(
      "SELECT epsilon, delta, accounting, rho FROM dp_budgets WHERE dataset = ? AND consumer = ?",
      [dataset, consumer],
    );
    if (!budget) return undefined;
    const rows = await q.all<{ epsilon: string; delta: string; rho: string | null }>(
      "SELECT epsilon, delta, rho FROM dp_charges WHERE dataset = ? AND consumer = ?",
      [dataset, consumer],
    );
    const left = (total: bigint, used: bigint) => formatAmount(total > used ? total - used : 0n);
    if (budget.accounting === "zcdp") {
      let rho = 0n;
      for (const row of rows) rho += chargedRho(row);
      const delta = Number(budget.delta);
      const view = (units: Units): ZcdpAmounts => ({
        rho: formatAmount(units),
        epsilon: amountOf(zcdpEpsilon(Number(formatAmount(units)), delta)),
        delta: budget.delta,
      });
      const total = parseUnits(budget.rho as string);
      return {
        dataset,
        consumer,
        accounting: "zcdp",
        composition: COMPOSITION.zcdp,
        budget: view(total),
        spent: view(rho),
        remaining: view(total > rho ? total - rho : 0n),
        charges: rows.length,
      };
    }
    let epsilon = 0n;
    let delta = 0n;
    for (const row of rows) {
      epsilon += parseUnits(row.epsilon);
      delta += parseUnits(row.delta);
    }
    const budgetEpsilon = parseUnits(budget.epsilon);
    const budgetDelta = parseUnits(budget.delta);
    return {
      dataset,
      consumer,
      accounting: "approximate",
      composition: COMPOSITION.approximate,
      budget: { epsilon: budget.epsilon, delta: budget.delta },
      spent: { epsilon: formatAmount(epsilon), delta: formatAmount(delta) },
      remaining: { epsilon: left(budgetEpsilon, epsilon), delta: left(budgetDelta, delta) },
      charges: rows.length,
    };
  }

  /**
   * Charges the request and, within the same transaction, computes the answer; refuses (audited, and
   * thrown as BudgetExceededError after the refusal is committed) when it would overspend ε or δ.
   */
  async spend<T>(
    request: ChargeRequest,
    answer: () => T | Promise<T>,
  ): Promise<{ result: T; charge: Charge; status: BudgetStatus }> {
    const { dataset, consumer } = request;
    checkName("dataset", dataset);
    checkName("consumer", consumer);
    if (request.rho !== undefined) checkRho(request.rho, "the query");
    checkAmounts(request.epsilon, request.delta, "the query", request.rho !== undefined);
    const needEpsilon = toUnits(request.epsilon, "up");
    const needDelta = toUnits(request.delta, "up");
    const needRho =
      request.rho !== undefined
        ? toUnits(request.rho, "up")
        : request.delta === 0
          ? laplaceRho(request.epsilon)
          : undefined;
    const outcome = await this.db.transaction(
      async (tx) => {
        const before = await this.statusIn(tx, dataset, consumer);
        const base = {
          dataset,
          consumer,
          statistic: request.statistic,
          mechanism: request.mechanism,
          epsilon: formatAmount(needEpsilon),
          delta: formatAmount(needDelta),
          ...(before?.accounting === "zcdp" && needRho !== undefined && { rho: formatAmount(needRho) }),
        };
        if (!before) {
          await this.audit.append(
            {
              actor: request.actor,
              action: "dp.refusal",
              subject: subject(dataset, consumer),
              details: { ...base, reason: "no budget" },
            },
            tx,
          );
          return { refused: new NoBudgetError(dataset, consumer) } as const;
        }
        const reason = overspend(before, needEpsilon, needDelta, needRho, request.epsilon === 0);
        if (reason) {
          await this.audit.append(
            {
              actor: request.actor,
              action: "dp.refusal",
              subject: subject(dataset, consumer),
              details: { ...base, reason, spent: before.spent, budget: before.budget },
            },
            tx,
          );
          return { refused: new BudgetExceededError(reason, before) } as const;
        }
        const at = new Date().toISOString();
        await tx.run(
          "INSERT INTO dp_charges (dataset, consumer, at, actor, statistic, mechanism, epsilon, delta, rho) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
          [
            dataset,
            consumer,
            at,
            request.actor,
            request.statistic,
            request.mechanism,
            base.epsilon,
            base.delta,
            base.rho ?? null,
          ],
        );
        const row = await tx.one<{ id: number | string }>(
          "SELECT MAX(id) AS id FROM dp_charges WHERE dataset = ? AND consumer = ?",
          [dataset, consumer],
        );
        const status = (await this.statusIn(tx, dataset, consumer)) as BudgetStatus;
        await this.audit.append(
          {
            actor: request.actor,
            action: "dp.charge",
            subject: subject(dataset, consumer),
            details: { ...base, spent: status.spent, budget: status.budget },
          },
          tx,
        );
        const result = await answer();
        const charge: Charge = {
          id: Number(row?.id),
          at,
          actor: request.actor,
          statistic: request.statistic,
          mechanism: request.mechanism,
          epsilon: base.epsilon,
          delta: base.delta,
          ...(base.rho !== undefined && { rho: base.rho }),
        };
        return { result, charge, status } as const;
      },
      { lock: this.lock(dataset, consumer) },
    );
    if ("refused" in outcome) throw outcome.refused;
    return outcome;
  }
}

/** The ρ a stored charge counts in zCDP: its ρ, else ε²/2 for a pure ε-DP one; δ > 0 without ρ cannot count. */
function chargedRho(row: { epsilon: string; delta: string; rho: string | null }): Units {
  if (row.rho !== null) return parseUnits(row.rho);
  if (parseUnits(row.delta) !== 0n) throw new Error(`a charge of (${row.epsilon}, ${row.delta}) has no ρ`);
  const e = parseUnits(row.epsilon);
  return (e * e + 2n * ONE - 1n) / (2n * ONE);
}

/** Why a charge does not fit, in the words a consumer reads; undefined when it fits. */
function overspend(
  status: BudgetStatus,
  epsilon: Units,
  delta: Units,
  rho: Units | undefined,
  byRho: boolean,
): string | undefined {
  if (status.accounting === "zcdp") {
    if (rho === undefined)
      return "this budget is in zCDP (ρ): a query with δ > 0 has no ρ to charge (a table without declared keys uses partition selection, which is only (ε, δ)-DP; declare its keys, or use the Gaussian by ρ)";
    const total = parseUnits(status.budget.rho);
    const used = parseUnits(status.spent.rho);
    if (used + rho <= total) return undefined;
    return `budget spent: ρ ${status.spent.rho} of ${status.budget.rho} used (zCDP: ρ adds up; that is (ε ${status.spent.epsilon}, δ ${status.budget.delta})); this query needs ρ ${formatAmount(rho)}`;
  }
  if (byRho) return "this budget is in (ε, δ): ask for the query by --epsilon and --delta, not by ρ";
  const check = (name: string, budget: string, spent: string, need: Units) => {
    const total = parseUnits(budget);
    const used = parseUnits(spent);
    if (used + need <= total) return undefined;
    return `budget spent: ${name} ${spent} of ${budget} used; this query needs ${formatAmount(need)}`;
  };
  return (
    check("ε", status.budget.epsilon, status.spent.epsilon, epsilon) ??
    check("δ", status.budget.delta, status.spent.delta, delta)
  );
}
