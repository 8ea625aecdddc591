/**
 * Where negotiations, transfer processes and the messages each went through are kept (migration 8).
 * Each process is filed under the pid this side chose (`local_pid`: the providerPid on the provider
 * side, the consumerPid on the consumer side); the history is append-only.
 */
import type { Queryable } from "../../store/index.js";
import type { DataAddress, JsonObject } from "./messages.js";
import type { NegotiationState, Side, TransferState } from "./states.js";

export interface Negotiation {
  localPid: string;
  role: Side;
  /** Our participant (its store id here). */
  participant: string;
  /** The other participant, as known here: the store whose credential it calls us with. */
  counterparty: string;
  providerPid?: string;
  consumerPid?: string;
  /** Where messages to the counterparty go: the consumer's callbackAddress, or the provider's endpoint. */
  counterpartyAddress?: string;
  state: NegotiationState;
  offerId?: string;
  datasetId?: string;
  /** The latest offer (ODRL JSON). */
  offer?: JsonObject;
  agreementId?: string;
  agreement?: JsonObject;
  createdAt: string;
  updatedAt: string;
}

export interface TransferProcessRecord {
  localPid: string;
  role: Side;
  participant: string;
  counterparty: string;
  providerPid?: string;
  consumerPid?: string;
  counterpartyAddress?: string;
  state: TransferState;
  agreementId: string;
  format: string;
  /** Provider side: SHA-256 (hex) of the data plane's bearer token; the token itself is never kept. */
  tokenHash?: string;
  /** Consumer side: the DataAddress the provider sent (its token is the consumer's to present). */
  dataAddress?: DataAddress;
  createdAt: string;
  updatedAt: string;
}

export interface HistoryEntry {
  seq: number;
  direction: "received" | "sent";
  type: string;
  stateBefore?: string;
  stateAfter: string;
  body: JsonObject;
  at: string;
}

type Row = Record<string, unknown>;
const opt = (v: unknown): string | undefined => (v === null || v === undefined ? undefined : String(v));
const json = (v: unknown): JsonObject | undefined =>
  typeof v === "string" ? (JSON.parse(v) as JsonObject) : undefined;

function negotiationOf(r: Row): Negotiation {
  const n: Negotiation = {
    localPid: String(r.local_pid),
    role: r.role as Side,
    participant: String(r.participant),
    counterparty: String(r.counterparty),
    state: r.state as NegotiationState,
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
  const set = <K extends keyof Negotiation>(k: K, v: Negotiation[K] | undefined) => {
    if (v !== undefined) n[k] = v;
  };
  set("providerPid", opt(r.provider_pid));
  set("consumerPid", opt(r.consumer_pid));
  set("counterpartyAddress", opt(r.counterparty_address));
  set("offerId", opt(r.offer_id));
  set("datasetId", opt(r.dataset_id));
  set("offer", json(r.offer));
  set("agreementId", opt(r.agreement_id));
  set("agreement", json(r.agreement));
  return n;
}

function transferOf(r: Row): TransferProcessRecord {
  const t: TransferProcessRecord = {
    localPid: String(r.local_pid),
    role: r.role as Side,
    participant: String(r.participant),
    counterparty: String(r.counterparty),
    state: r.state as TransferState,
    agreementId: String(r.agreement_id),
    format: String(r.format),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
  };
  const set = <K extends keyof TransferProcessRecord>(k: K, v: TransferProcessRecord[K] | undefined) => {
    if (v !== undefined) t[k] = v;
  };
  set("providerPid", opt(r.provider_pid));
  set("consumerPid", opt(r.consumer_pid));
  set("counterpartyAddress", opt(r.counterparty_address));
  set("tokenHash", opt(r.token_hash));
  set("dataAddress", json(r.data_address) as DataAddress | undefined);
  return t;
}

const NEGOTIATION_COLUMNS = [
  "local_pid",
  "role",
  "participant",
  "counterparty",
  "provider_pid",
  "consumer_pid",
  "counterparty_address",
  "state",
  "offer_id",
  "dataset_id",
  "offer",
  "agreement_id",
  "agreement",
  "created_at",
  "updated_at",
] as const;

const TRANSFER_COLUMNS = [
  "local_pid",
  "role",
  "participant",
  "counterparty",
  "provider_pid",
  "consumer_pid",
  "counterparty_address",
  "state",
  "agreement_id",
  "format",
  "token_hash",
  "data_address",
  "created_at",
  "updated_at",
] as const;

function negotiationValues(n: Negotiation) {
  return [
    n.localPid,
    n.role,
    n.participant,
    n.counterparty,
    n.providerPid ?? null,
    n.consumerPid ?? null,
    n.counterpartyAddress ?? null,
    n.state,
    n.offerId ?? null,
    n.datasetId ?? null,
    n.offer ? JSON.stringify(n.offer) : null,
    n.agreementId ?? null,
    n.agreement ? JSON.stringify(n.agreement) : null,
    n.createdAt,
    n.updatedAt,
  ];
}

function transferValues(t: TransferProcessRecord) {
  return [
    t.localPid,
    t.role,
    t.participant,
    t.counterparty,
    t.providerPid ?? null,
    t.consumerPid ?? null,
    t.counterpartyAddress ?? null,
    t.state,
    t.agreementId,
    t.format,
    t.tokenHash ?? null,
    t.dataAddress ? JSON.stringify(t.dataAddress) : null,
    t.createdAt,
    t.updatedAt,
  ];
}

const placeholders = (n: number) => new Array(n).fill("?").join(", ");
const assignments = (cols: readonly string[]) =>
  cols
    .filter((c) => c !== "local_pid" && c !== "created_at")
    .map((c) => `${c} = ?`)
    .join(", ");

/**
 * The rows of one kind of process (negotiations or transfer processes): both tables share their
 * identity columns (local_pid, role, participant, counterparty, the two pids, agreement_id), so one
 * set of queries serves both.
 */
function processTable<T>(
  table: "dsp_negotiations" | "dsp_transfers",
  columns: readonly string[],
  valuesOf: (record: T) => (string | null)[],
  recordOf: (row: Row) => T,
) {
  const createdAt = columns.indexOf("created_at");
  return {
    async insert(q: Queryable, record: T): Promise<void> {
      await q.run(
        `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${placeholders(columns.length)})`,
        valuesOf(record),
      );
    },
    async update(q: Queryable, record: T): Promise<void> {
      const values = valuesOf(record);
      const rest = values.filter((_, i) => i !== 0 && i !== createdAt);
      await q.run(`UPDATE ${table} SET ${assignments(columns)} WHERE local_pid = ?`, [
        ...rest,
        values[0] as string,
      ]);
    },
    async get(q: Queryable, localPid: string): Promise<T | undefined> {
      const r = await q.one(`SELECT * FROM ${table} WHERE local_pid = ?`, [localPid]);
      return r ? recordOf(r) : undefined;
    },
    /** The process this side holds with `counterparty` under the pair of pids, whichever side chose ours. */
    async byRemote(
      q: Queryable,
      role: Side,
      counterparty: string,
      pids: { providerPid?: string; consumerPid?: string },
    ): Promise<T | undefined> {
      const column = role === "provider" ? "consumer_pid" : "provider_pid";
      const value = role === "provider" ? pids.consumerPid : pids.providerPid;
      if (value === undefined) return undefined;
      const r = await q.one(`SELECT * FROM ${table} WHERE role = ? AND counterparty = ? AND ${column} = ?`, [
        role,
        counterparty,
        value,
      ]);
      return r ? recordOf(r) : undefined;
    },
    async byAgreement(q: Queryable, agreementId: string): Promise<T[]> {
      return (await q.all(`SELECT * FROM ${table} WHERE agreement_id = ?`, [agreementId])).map(recordOf);
    },
    async list(q: Queryable, filter: { participant?: string; counterparty?: string } = {}): Promise<T[]> {
      const where: string[] = [];
      const params: string[] = [];
      if (filter.participant) {
        where.push("participant = ?");
        params.push(filter.participant);
      }
      if (filter.counterparty) {
        where.push("counterparty = ?");
        params.push(filter.counterparty);
      }
      const sql = `SELECT * FROM ${table}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at, local_pid`;
      return (await q.all(sql, params)).map(recordOf);
    },
  };
}

export const negotiations = processTable(
  "dsp_negotiations",
  NEGOTIATION_COLUMNS,
  negotiationValues,
  negotiationOf,
);

export const transfers = processTable("dsp_transfers", TRANSFER_COLUMNS, transferValues, transferOf);

export const history = {
  async append(
    q: Queryable,
    process: "negotiation" | "transfer",
    localPid: string,
    entry: Omit<HistoryEntry, "seq" | "at">,
  ): Promise<void> {
    await q.run(
      "INSERT INTO dsp_messages (process, local_pid, direction, type, state_before, state_after, body, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      [
        process,
        localPid,
        entry.direction,
        entry.type,
        entry.stateBefore ?? null,
        entry.stateAfter,
        JSON.stringify(entry.body),
        new Date().toISOString(),
      ],
    );
  },
  async of(q: Queryable, process: "negotiation" | "transfer", localPid: string): Promise<HistoryEntry[]> {
    const rows = await q.all("SELECT * FROM dsp_messages WHERE process = ? AND local_pid = ? ORDER BY seq", [
      process,
      localPid,
    ]);
    return rows.map((r) => {
      const e: HistoryEntry = {
        seq: Number(r.seq),
        direction: r.direction as "received" | "sent",
        type: String(r.type),
        stateAfter: String(r.state_after),
        body: JSON.parse(String(r.body)) as JsonObject,
        at: String(r.at),
      };
      if (r.state_before !== null && r.state_before !== undefined) e.stateBefore = String(r.state_before);
      return e;
    });
  },
};
