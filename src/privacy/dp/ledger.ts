/**
 * The privacy-budget ledger: per (dataset, consumer), the budget (ε, δ) the agreement grants and every
 * charge against it, persisted (tables `dp_budgets`, `dp_charges`, migration 4).
 *
 * Composition: basic sequential composition. A consumer who received releases that were (ε_i, δ_i)-DP
 * has received, all together, (Σε_i, Σδ_i)-DP ones (Dwork and Roth 2014, Theorem 3.16), whatever the
 * mechanisms (discrete Gaussian releases are charged their (ε, δ), not composed in zCDP, which would be
 * tighter but is not implemented). A query is answered only if both sums stay within the budget.
 *
 * The decision, the charge and its audit event are one transaction under the lock
 * `dp-ledger:<dataset>:<consumer>`, so concurrent queries cannot both pass a check that only one of
 * them fits; the answer is computed inside that transaction, after the charge is written. A refusal is
 * audited too. The audit trail records what was charged, never what was released.
 *
 * Amounts are exact decimals (fixed point, 30 places, BigInt), so that 0.1 + 0.2 fits a budget of 0.3.
 */
import { AuditLog } from "../../audit/index.js";
import type { Database, Queryable } from "../../store/index.js";
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

export interface BudgetStatus {
  dataset: string;
  consumer: string;
  budget: Amounts;
  spent: Amounts;
  remaining: Amounts;
  charges: number;
}

export interface Charge {
  id: number;
  at: string;
  actor: string;
  statistic: string;
  mechanism: string;
  epsilon: string;
  delta: string;
}

export interface ChargeRequest {
  dataset: string;
  consumer: string;
  epsilon: number;
  delta: number;
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
}

interface ChargeRow {
  id: number | string;
  at: string;
  actor: string;
  statistic: string;
  mechanism: string;
  epsilon: string;
  delta: string;
}

function checkName(what: string, value: string): void {
  if (typeof value !== "string" || value.trim() === "")
    throw new Error(`the ${what} must be a non-empty name`);
}

function checkAmounts(epsilon: number, delta: number, context: string): void {
  if (!(Number.isFinite(epsilon) && epsilon > 0))
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

  /** Sets (or changes) the agreement's budget. Lowering it below what is spent leaves nothing to spend. */
  async setBudget(
    dataset: string,
    consumer: string,
    budget: { epsilon: number; delta: number },
    actor: string,
  ): Promise<BudgetStatus> {
    checkName("dataset", dataset);
    checkName("consumer", consumer);
    checkAmounts(budget.epsilon, budget.delta, "the budget");
    const epsilon = formatAmount(toUnits(budget.epsilon, "down"));
    const delta = formatAmount(toUnits(budget.delta, "down"));
    return this.db.transaction(
      async (tx) => {
        const now = new Date().toISOString();
        const existing = await tx.one<BudgetRow>(
          "SELECT epsilon, delta FROM dp_budgets WHERE dataset = ? AND consumer = ?",
          [dataset, consumer],
        );
        if (existing)
          await tx.run(
            "UPDATE dp_budgets SET epsilon = ?, delta = ?, updated_at = ? WHERE dataset = ? AND consumer = ?",
            [epsilon, delta, now, dataset, consumer],
          );
        else
          await tx.run(
            "INSERT INTO dp_budgets (dataset, consumer, epsilon, delta, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [dataset, consumer, epsilon, delta, now, now],
          );
        await this.audit.append(
          {
            actor,
            action: "dp.budget.set",
            subject: subject(dataset, consumer),
            details: { dataset, consumer, epsilon, delta, ...(existing && { previous: existing }) },
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
      "SELECT id, at, actor, statistic, mechanism, epsilon, delta FROM dp_charges WHERE dataset = ? AND consumer = ? ORDER BY id",
      [dataset, consumer],
    );
    return rows.map((r) => ({ ...r, id: Number(r.id) }));
  }

  private async statusIn(q: Queryable, dataset: string, consumer: string): Promise<BudgetStatus | undefined> {
    const budget = await q.one<BudgetRow>(
      "SELECT epsilon, delta FROM dp_budgets WHERE dataset = ? AND consumer = ?",
      [dataset, consumer],
    );
    if (!budget) return undefined;
    const rows = await q.all<{ epsilon: string; delta: string }>(
      "SELECT epsilon, delta FROM dp_charges WHERE dataset = ? AND consumer = ?",
      [dataset, consumer],
    );
    let epsilon = 0n;
    let delta = 0n;
    for (const row of rows) {
      epsilon += parseUnits(row.epsilon);
      delta += parseUnits(row.delta);
    }
    const budgetEpsilon = parseUnits(budget.epsilon);
    const budgetDelta = parseUnits(budget.delta);
    const left = (total: bigint, used: bigint) => formatAmount(total > used ? total - used : 0n);
    return {
      dataset,
      consumer,
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
    checkAmounts(request.epsilon, request.delta, "the query");
    const needEpsilon = toUnits(request.epsilon, "up");
    const needDelta = toUnits(request.delta, "up");
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
        const reason = overspend(before, needEpsilon, needDelta);
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
          "INSERT INTO dp_charges (dataset, consumer, at, actor, statistic, mechanism, epsilon, delta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          [
            dataset,
            consumer,
            at,
            request.actor,
            request.statistic,
            request.mechanism,
            base.epsilon,
            base.delta,
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
        };
        return { result, charge, status } as const;
      },
      { lock: this.lock(dataset, consumer) },
    );
    if ("refused" in outcome) throw outcome.refused;
    return outcome;
  }
}

/** Why a charge does not fit, in the words a consumer reads; undefined when it fits. */
function overspend(status: BudgetStatus, epsilon: Units, delta: Units): string | undefined {
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
