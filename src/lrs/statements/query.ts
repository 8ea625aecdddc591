import type { Database, Queryable, SqlValue } from "../../store/index.js";
import {
  type Activity,
  type Agent,
  agentIfi,
  formatStatement,
  isIri,
  isUuid,
  parseTimestamp,
  type StatementFormat,
  type StoredStatement,
  validateAgent,
  type XapiVersion,
} from "../../xapi/index.js";
import { activitiesOf } from "../definitions.js";
import { badRequest, LrsError } from "../errors.js";
import { allows } from "../scopes.js";
import type { Principal } from "../tenancy.js";
import type { IndexKind } from "./indexing.js";
import { findByIds, type StatementRow } from "./repository.js";
import type { IndexTail } from "./tail.js";
import { TermDictionary } from "./terms.js";

/** The query of GET /statements after its parameters are checked. */
export interface StatementQuery {
  agent?: string;
  verb?: string;
  activity?: string;
  registration?: string;
  relatedActivities: boolean;
  relatedAgents: boolean;
  since?: string;
  until?: string;
  limit: number;
  ascending: boolean;
}

export interface StatementFetch {
  format: StatementFormat;
  attachments: boolean;
  languages: string[];
}

export type StatementsRequest =
  | ({ kind: "single"; id: string; voided: boolean } & StatementFetch)
  | ({ kind: "query"; query: StatementQuery; after?: number; cap?: number } & StatementFetch);

export interface StatementsResult {
  /** The JSON text of the statement or of the StatementResult. */
  json: string;
  /** Statements returned, for the attachments and Last-Modified headers. */
  statements: { id: string; stored: string; body: string }[];
  /** The sha2 of every attachment the returned statements hold content for (attachments=true). */
  attachmentHashes: string[];
}

const QUERY_PARAMS = new Set([
  "agent",
  "verb",
  "activity",
  "registration",
  "related_activities",
  "related_agents",
  "since",
  "until",
  "limit",
  "format",
  "attachments",
  "ascending",
]);
const SINGLE_PARAMS = new Set(["statementId", "voidedStatementId", "format", "attachments"]);

export interface QueryLimits {
  /** Most statements a page returns (limit=0 or a larger limit gives this). */
  maxPage: number;
}

function bool(params: Record<string, string>, name: string): boolean {
  const value = params[name];
  if (value === undefined) return false;
  if (value === "true") return true;
  if (value === "false") return false;
  throw badRequest(`parameter ${name} must be true or false, not '${value}'`);
}

/** Checks the parameters of GET /statements and says what to fetch. */
export function parseStatementsRequest(
  params: Record<string, string>,
  version: XapiVersion,
  languages: string[],
  limits: QueryLimits,
): StatementsRequest {
  const format = (params.format ?? "exact") as StatementFormat;
  if (!["exact", "ids", "canonical"].includes(format)) {
    throw badRequest(`parameter format must be exact, ids or canonical, not '${params.format}'`);
  }
  const fetch = { format, attachments: bool(params, "attachments"), languages };

  if (params.more !== undefined) return { ...decodeMore(params.more), ...fetch, ...moreFetch(params.more) };

  const single = params.statementId ?? params.voidedStatementId;
  if (single !== undefined) {
    if (params.statementId !== undefined && params.voidedStatementId !== undefined) {
      throw badRequest("statementId and voidedStatementId cannot be used together");
    }
    for (const name of Object.keys(params)) {
      if (!SINGLE_PARAMS.has(name)) {
        throw badRequest(`parameter ${name} cannot be used with statementId or voidedStatementId`);
      }
    }
    const name = params.statementId !== undefined ? "statementId" : "voidedStatementId";
    if (!isUuid(single)) throw badRequest(`parameter ${name} must be a UUID, not '${single}'`);
    return { kind: "single", id: single.toLowerCase(), voided: name === "voidedStatementId", ...fetch };
  }

  for (const name of Object.keys(params)) {
    if (!QUERY_PARAMS.has(name)) throw badRequest(`unknown parameter ${name} for GET /statements`);
  }
  const query: StatementQuery = {
    relatedActivities: bool(params, "related_activities"),
    relatedAgents: bool(params, "related_agents"),
    ascending: bool(params, "ascending"),
    limit: limits.maxPage,
  };
  if (params.agent !== undefined) query.agent = agentParam(params.agent, version);
  if (params.verb !== undefined) {
    if (!isIri(params.verb)) throw badRequest(`parameter verb must be an IRI, not '${params.verb}'`);
    query.verb = params.verb;
  }
  if (params.activity !== undefined) {
    if (!isIri(params.activity))
      throw badRequest(`parameter activity must be an IRI, not '${params.activity}'`);
    query.activity = params.activity;
  }
  if (params.registration !== undefined) {
    if (!isUuid(params.registration)) {
      throw badRequest(`parameter registration must be a UUID, not '${params.registration}'`);
    }
    query.registration = params.registration.toLowerCase();
  }
  for (const name of ["since", "until"] as const) {
    const value = params[name];
    if (value === undefined) continue;
    const ms = parseTimestamp(value);
    if (ms === undefined) throw badRequest(`parameter ${name} must be an ISO 8601 timestamp, not '${value}'`);
    query[name] = new Date(ms).toISOString();
  }
  if (params.limit !== undefined) {
    if (!/^\d+$/.test(params.limit))
      throw badRequest(`parameter limit must be a whole number, not '${params.limit}'`);
    const limit = Number(params.limit);
    query.limit = limit === 0 ? limits.maxPage : Math.min(limit, limits.maxPage);
  }
  return { kind: "query", query, ...fetch };
}

/** An `agent` parameter: JSON of an Agent or identified Group, reduced to its IFI key. */
export function agentParam(raw: string, version: XapiVersion, name = "agent"): string {
  let agent: unknown;
  try {
    agent = JSON.parse(raw);
  } catch {
    throw badRequest(`parameter ${name} must be the JSON of an Agent or identified Group`);
  }
  const problems = validateAgent(agent, version, name);
  if (problems.length > 0) throw badRequest(`parameter ${name}: ${problems[0]?.message}`, problems);
  const ifi = agentIfi(agent as Agent);
  if (!ifi)
    throw badRequest(
      `parameter ${name} must identify an Agent or Group (mbox, mbox_sha1sum, openid or account)`,
    );
  return ifi;
}

interface MoreState {
  query: StatementQuery;
  after: number;
  cap: number;
  format: StatementFormat;
  attachments: boolean;
}

function encodeMore(state: MoreState): string {
  return Buffer.from(JSON.stringify(state)).toString("base64url");
}

function decodeMoreState(token: string): MoreState {
  try {
    const state = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as MoreState;
    if (typeof state.after !== "number" || typeof state.cap !== "number" || typeof state.query !== "object") {
      throw new Error("shape");
    }
    return state;
  } catch {
    throw badRequest("parameter more is not a link this LRS gave");
  }
}

function decodeMore(token: string): { kind: "query"; query: StatementQuery; after: number; cap: number } {
  const state = decodeMoreState(token);
  return { kind: "query", query: state.query, after: state.after, cap: state.cap };
}

function moreFetch(token: string): Partial<StatementFetch> {
  const state = decodeMoreState(token);
  return { format: state.format, attachments: state.attachments };
}

/** Runs GET /statements for a principal, within its own store only. */
export async function fetchStatements(
  db: Database,
  terms: TermDictionary,
  tail: IndexTail,
  principal: Principal,
  request: StatementsRequest,
  moreBase: string,
): Promise<StatementsResult> {
  if (!allows(principal.scopes, "statements/read")) {
    throw new LrsError(403, "this credential may not read statements (scope statements/read)");
  }
  // statements/read/mine alone: only what this credential stored.
  const mine =
    !principal.scopes.has("all") &&
    !principal.scopes.has("all/read") &&
    !principal.scopes.has("statements/read") &&
    principal.scopes.has("statements/read/mine");

  if (request.kind === "single") {
    await tail.ready();
    const [row] = await findByIds(db, tail, principal.storeId, [request.id]);
    if (
      !row ||
      (mine && row.credential !== principal.key) ||
      Boolean(Number(row.voided)) !== request.voided
    ) {
      throw new LrsError(404, `no ${request.voided ? "voided " : ""}statement ${request.id} in this store`);
    }
    const [body] = await present(db, principal.storeId, [row.body], request);
    return {
      json: body as string,
      statements: [{ id: row.id, stored: row.stored, body: row.body }],
      attachmentHashes: request.attachments ? await heldAttachments(db, principal.storeId, [row.body]) : [],
    };
  }

  // Filters read the on-disk index: statements still in the tail are written to it first.
  await tail.flush();
  const cap =
    request.cap ??
    Number(
      (
        await db.one<{ m: number | null }>("SELECT max(seq) AS m FROM statements WHERE store_id = ?", [
          principal.storeId,
        ])
      )?.m ?? 0,
    );
  const { query } = request;
  const rows = await runQuery(db, terms, principal, query, cap, request.after, mine);
  const page = rows.slice(0, query.limit);
  let more = "";
  if (rows.length > query.limit) {
    const last = page[page.length - 1] as StatementRow;
    more = `${moreBase}?more=${encodeMore({
      query,
      after: Number(last.seq),
      cap,
      format: request.format,
      attachments: request.attachments,
    })}`;
  }
  const bodies = await present(
    db,
    principal.storeId,
    page.map((r) => r.body),
    request,
  );
  return {
    json: `{"statements":[${bodies.join(",")}],"more":${JSON.stringify(more)}}`,
    statements: page.map((r) => ({ id: r.id, stored: r.stored, body: r.body })),
    attachmentHashes: request.attachments
      ? await heldAttachments(
          db,
          principal.storeId,
          page.map((r) => r.body),
        )
      : [],
  };
}

/** Selects one page (plus one row, to know whether there is more). */
async function runQuery(
  q: Queryable,
  terms: TermDictionary,
  principal: Principal,
  query: StatementQuery,
  cap: number,
  after: number | undefined,
  mine: boolean,
): Promise<StatementRow[]> {
  const filters: { kinds: IndexKind[]; value: string }[] = [];
  if (query.agent)
    filters.push({ kinds: query.relatedAgents ? ["agent", "agent+"] : ["agent"], value: query.agent });
  if (query.activity) {
    filters.push({
      kinds: query.relatedActivities ? ["activity", "activity+"] : ["activity"],
      value: query.activity,
    });
  }
  if (query.registration) filters.push({ kinds: ["registration"], value: query.registration });
  if (query.verb) filters.push({ kinds: ["verb"], value: query.verb });
  const found = await terms.find(
    q,
    principal.storeId,
    filters.flatMap((f) => f.kinds.map((kind) => ({ kind, value: f.value }))),
  );
  const termFilters = filters.map((f) =>
    f.kinds
      .map((kind) => found.get(TermDictionary.key(principal.storeId, kind, f.value)))
      .filter((id): id is number => id !== undefined),
  );
  // A value no statement of this store ever held matches nothing.
  if (termFilters.some((ids) => ids.length === 0)) return [];

  // What only the statement row can tell: store, voided, stored instants, who stored it.
  const rowConds = ["s.store_id = ?", "s.voided = 0"];
  const rowParams: SqlValue[] = [principal.storeId];
  if (query.since) {
    rowConds.push("s.stored > ?");
    rowParams.push(query.since);
  }
  if (query.until) {
    rowConds.push("s.stored <= ?");
    rowParams.push(query.until);
  }
  if (mine) {
    rowConds.push("s.credential = ?");
    rowParams.push(principal.key);
  }
  const order = query.ascending ? "ASC" : "DESC";
  const columns = "s.seq, s.id, s.stored, s.voided, s.body";
  const wanted = query.limit + 1;
  const [driver, ...others] = termFilters;

  if (!driver) {
    const conds = [...rowConds, "s.seq <= ?"];
    const params: SqlValue[] = [...rowParams, cap];
    if (after !== undefined) {
      conds.push(query.ascending ? "s.seq > ?" : "s.seq < ?");
      params.push(after);
    }
    return q.all<StatementRow>(
      `SELECT ${columns} FROM statements s WHERE ${conds.join(" AND ")} ORDER BY s.seq ${order} LIMIT ?`,
      [...params, wanted],
    );
  }

  // Two steps: candidates from the index alone (the driving filter's range, the other filters probed
  // on the same index), then the statement rows of the candidates only. Reading a statement row costs
  // a page; probing the index does not, and a rare combination would otherwise read every row of the
  // driving filter.
  const probes = others.map(
    (ids) => `EXISTS (SELECT 1 FROM statement_index x WHERE x.term IN (${marks(ids)}) AND x.seq = d.seq)`,
  );
  const probeParams = others.flat();
  const candidates = (from: number | undefined, count: number) =>
    q.all<{ seq: number }>(
      `SELECT ${driver.length > 1 ? "DISTINCT " : ""}d.seq FROM statement_index d
       WHERE d.term IN (${marks(driver)}) AND d.seq <= ?${from === undefined ? "" : query.ascending ? " AND d.seq > ?" : " AND d.seq < ?"}
       ${probes.map((p) => `AND ${p}`).join(" ")}
       ORDER BY d.seq ${order} LIMIT ?`,
      [...driver, cap, ...(from === undefined ? [] : [from]), ...probeParams, count],
    );
  const page: StatementRow[] = [];
  let from = after;
  let chunk = wanted;
  for (;;) {
    const seqs = (await candidates(from, chunk)).map((r) => Number(r.seq));
    if (seqs.length > 0) {
      const rows = await q.all<StatementRow>(
        `SELECT ${columns} FROM statements s WHERE s.seq IN (${marks(seqs)}) AND ${rowConds.join(" AND ")} ORDER BY s.seq ${order}`,
        [...seqs, ...rowParams],
      );
      page.push(...rows);
    }
    if (page.length >= wanted || seqs.length < chunk) return page.slice(0, wanted);
    from = seqs[seqs.length - 1];
    // Rows were refused (voided, outside since/until): look further, in larger steps.
    chunk = Math.min(chunk * 4, 4000);
  }
}

/** The statements as the request's format asks; `exact` returns the stored text untouched. */
async function present(
  q: Queryable,
  storeId: string,
  bodies: string[],
  fetch: StatementFetch,
): Promise<string[]> {
  if (fetch.format === "exact") return bodies;
  const statements = bodies.map((b) => JSON.parse(b) as StoredStatement);
  let canonical: Map<string, Activity> | undefined;
  if (fetch.format === "canonical") {
    const ids = new Set<string>();
    for (const s of statements) for (const a of activitiesOf(s)) ids.add(a.id);
    canonical = new Map();
    const idList = [...ids];
    for (let i = 0; i < idList.length; i += 500) {
      const chunk = idList.slice(i, i + 500);
      const rows = await q.all<{ id: string; definition: string }>(
        `SELECT id, definition FROM activities WHERE store_id = ? AND id IN (${chunk.map(() => "?").join(", ")})`,
        [storeId, ...chunk],
      );
      for (const row of rows)
        canonical.set(row.id, { objectType: "Activity", id: row.id, definition: JSON.parse(row.definition) });
    }
  }
  return statements.map((s) =>
    JSON.stringify(
      formatStatement(s, fetch.format, fetch.languages, canonical && ((id) => canonical.get(id))),
    ),
  );
}

/** The sha2 of attachments the store holds content for, among these statements' attachments. */
async function heldAttachments(q: Queryable, storeId: string, bodies: string[]): Promise<string[]> {
  const wanted = new Set<string>();
  for (const body of bodies) {
    const s = JSON.parse(body) as StoredStatement;
    for (const a of s.attachments ?? []) wanted.add(a.sha2);
    if (s.object.objectType === "SubStatement")
      for (const a of s.object.attachments ?? []) wanted.add(a.sha2);
  }
  if (wanted.size === 0) return [];
  const list = [...wanted];
  const rows = await q.all<{ sha2: string }>(
    `SELECT sha2 FROM attachments WHERE store_id = ? AND sha2 IN (${list.map(() => "?").join(", ")})`,
    [storeId, ...list],
  );
  return rows.map((r) => r.sha2);
}

export async function attachmentContent(
  q: Queryable,
  storeId: string,
  sha2: string,
): Promise<{ contentType: string; content: Buffer } | undefined> {
  const row = await q.one<{ content_type: string; content: Buffer | Uint8Array }>(
    "SELECT content_type, content FROM attachments WHERE store_id = ? AND sha2 = ?",
    [storeId, sha2],
  );
  return row && { contentType: row.content_type, content: Buffer.from(row.content) };
}

function marks(values: readonly unknown[]): string {
  return values.map(() => "?").join(", ");
}
