/**
 * The SQL of enforcement (migration 9): usage counters per agreement and permission, tracked duties
 * with their append-only history, and the request last permitted for a step. Every function takes the
 * caller's `Queryable`, so that it runs inside the decision's transaction.
 */
import type { Queryable } from "../../store/index.js";
import type { DutyKind, DutyState, Step } from "./rules.js";

export interface Usage {
  rule: string;
  count: number;
  firstUse: string;
  lastUse: string;
}

export async function usageOf(q: Queryable, agreementId: string): Promise<Usage[]> {
  const rows = await q.all<{ rule: string; count: number | string; first_use: string; last_use: string }>(
    "SELECT rule, count, first_use, last_use FROM contract_usage WHERE agreement_id = ?",
    [agreementId],
  );
  return rows.map((r) => ({
    rule: r.rule,
    count: Number(r.count),
    firstUse: r.first_use,
    lastUse: r.last_use,
  }));
}

/** One more use of `rule`; the first use is remembered (elapsedTime counts from it). */
export async function countUse(q: Queryable, agreementId: string, rule: string, at: string): Promise<void> {
  const changed = await q.run(
    "UPDATE contract_usage SET count = count + 1, last_use = ? WHERE agreement_id = ? AND rule = ?",
    [at, agreementId, rule],
  );
  if (changed.changes === 0)
    await q.run(
      "INSERT INTO contract_usage (agreement_id, rule, count, first_use, last_use) VALUES (?, ?, 1, ?, ?)",
      [agreementId, rule, at, at],
    );
}

export interface DutyRecord {
  id: string;
  agreement: string;
  /** The ODRL duty's IRI (or blank-node id) in the agreement's policy. */
  duty: string;
  kind: DutyKind;
  action: string;
  /** What opened it: the permission, the policy (an obligation), or the violated duty or prohibition. */
  origin: string;
  /** The participant (store id) who must fulfil it. */
  assignee: string | null;
  due: string | null;
  state: DutyState;
  evidence: unknown;
  openedAt: string;
  closedAt: string | null;
}

interface DutyRow {
  id: string;
  agreement_id: string;
  duty: string;
  kind: string;
  action: string;
  origin: string;
  assignee: string | null;
  due: string | null;
  state: string;
  evidence: string | null;
  opened_at: string;
  closed_at: string | null;
}

function fromRow(r: DutyRow): DutyRecord {
  return {
    id: r.id,
    agreement: r.agreement_id,
    duty: r.duty,
    kind: r.kind as DutyKind,
    action: r.action,
    origin: r.origin,
    assignee: r.assignee,
    due: r.due,
    state: r.state as DutyState,
    evidence: r.evidence === null ? null : (JSON.parse(r.evidence) as unknown),
    openedAt: r.opened_at,
    closedAt: r.closed_at,
  };
}

export async function dutiesOf(q: Queryable, agreementId: string): Promise<DutyRecord[]> {
  const rows = await q.all<DutyRow>(
    "SELECT * FROM contract_duties WHERE agreement_id = ? ORDER BY opened_at, id",
    [agreementId],
  );
  return rows.map(fromRow);
}

export async function dutyById(q: Queryable, id: string): Promise<DutyRecord | undefined> {
  const row = await q.one<DutyRow>("SELECT * FROM contract_duties WHERE id = ?", [id]);
  return row ? fromRow(row) : undefined;
}

export async function listDuties(
  q: Queryable,
  filter: { agreements?: readonly string[]; state?: DutyState },
): Promise<DutyRecord[]> {
  const where: string[] = [];
  const params: string[] = [];
  if (filter.agreements) {
    if (filter.agreements.length === 0) return [];
    where.push(`agreement_id IN (${filter.agreements.map(() => "?").join(", ")})`);
    params.push(...filter.agreements);
  }
  if (filter.state) {
    where.push("state = ?");
    params.push(filter.state);
  }
  const rows = await q.all<DutyRow>(
    `SELECT * FROM contract_duties${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY opened_at, id`,
    params,
  );
  return rows.map(fromRow);
}

/** Open duties due before `at`, oldest first. ISO 8601 instants in UTC compare as text. */
export async function overdueDuties(q: Queryable, at: string): Promise<DutyRecord[]> {
  const rows = await q.all<DutyRow>(
    "SELECT * FROM contract_duties WHERE state = 'open' AND due IS NOT NULL AND due < ? ORDER BY due, id",
    [at],
  );
  return rows.map(fromRow);
}

export async function insertDuty(q: Queryable, duty: DutyRecord, actor: string, note: string): Promise<void> {
  await q.run(
    `INSERT INTO contract_duties (id, agreement_id, duty, kind, action, origin, assignee, due, state, evidence, opened_at, closed_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)`,
    [
      duty.id,
      duty.agreement,
      duty.duty,
      duty.kind,
      duty.action,
      duty.origin,
      duty.assignee,
      duty.due,
      duty.state,
      duty.openedAt,
    ],
  );
  await appendHistory(q, duty.id, duty.openedAt, actor, "open", note);
}

/** Closes an open duty; false when it was no longer open (someone else closed it first). */
export async function closeDuty(
  q: Queryable,
  id: string,
  state: "fulfilled" | "violated",
  at: string,
  actor: string,
  evidence: unknown,
  note: string,
): Promise<boolean> {
  const changed = await q.run(
    "UPDATE contract_duties SET state = ?, evidence = ?, closed_at = ? WHERE id = ? AND state = 'open'",
    [state, evidence === undefined ? null : JSON.stringify(evidence), at, id],
  );
  if (changed.changes === 0) return false;
  await appendHistory(q, id, at, actor, state, note);
  return true;
}

async function appendHistory(
  q: Queryable,
  id: string,
  at: string,
  actor: string,
  state: string,
  note: string,
) {
  await q.run("INSERT INTO contract_duty_history (duty_id, at, actor, state, note) VALUES (?, ?, ?, ?, ?)", [
    id,
    at,
    actor,
    state,
    note,
  ]);
}

export interface DutyHistoryEntry {
  at: string;
  actor: string;
  state: string;
  note: string;
}

export async function historyOf(q: Queryable, dutyId: string): Promise<DutyHistoryEntry[]> {
  return q.all<DutyHistoryEntry>(
    "SELECT at, actor, state, note FROM contract_duty_history WHERE duty_id = ? ORDER BY seq",
    [dutyId],
  );
}

export interface StepGrant {
  actor: string;
  request: string;
  decidedAt: string;
}

export async function recordGrant(
  q: Queryable,
  agreementId: string,
  step: Step,
  actor: string,
  request: string,
  at: string,
): Promise<void> {
  const changed = await q.run(
    "UPDATE contract_step_grants SET actor = ?, request = ?, decided_at = ? WHERE agreement_id = ? AND step = ?",
    [actor, request, at, agreementId, step],
  );
  if (changed.changes === 0)
    await q.run(
      "INSERT INTO contract_step_grants (agreement_id, step, actor, request, decided_at) VALUES (?, ?, ?, ?, ?)",
      [agreementId, step, actor, request, at],
    );
}

export async function grantOf(q: Queryable, agreementId: string, step: Step): Promise<StepGrant | undefined> {
  const row = await q.one<{ actor: string; request: string; decided_at: string }>(
    "SELECT actor, request, decided_at FROM contract_step_grants WHERE agreement_id = ? AND step = ?",
    [agreementId, step],
  );
  return row ? { actor: row.actor, request: row.request, decidedAt: row.decided_at } : undefined;
}
