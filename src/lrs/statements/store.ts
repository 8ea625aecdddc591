import type { Database, Queryable } from "../../store/index.js";
import {
  agentIfi,
  type MultipartPart,
  type Statement,
  sameStatement,
  VOIDED_VERB,
  type XapiVersion,
} from "../../xapi/index.js";
import { pairAttachments } from "../attachments.js";
import { type KnownAgents, recordDefinitions } from "../definitions.js";
import { badRequest, LrsError } from "../errors.js";
import { allows } from "../scopes.js";
import type { Principal } from "../tenancy.js";
import { storedNow } from "./clock.js";
import type { WriteTracker } from "./consistency.js";
import { type IndexEntry, indexEntries } from "./indexing.js";
import { type PreparedStatement, prepareJson, prepareStatements } from "./prepare.js";
import type { StatementPreparer } from "./preparer.js";
import { addCopies, copiesOf, findByIds, insertStatements, markVoided, referrersOf } from "./repository.js";
import type { IndexTail } from "./tail.js";
import { TermDictionary } from "./terms.js";

export interface StoreStatementsRequest {
  principal: Principal;
  version: XapiVersion;
  /** A parsed body (one statement or an array), for multipart requests and callers in process. */
  body?: unknown;
  /** The bytes of an application/json body: prepared off the event loop when large. */
  json?: Uint8Array;
  /** PUT /statements?statementId=…: the id the body must carry, or takes. */
  statementId?: string;
  /** The attachment parts of a multipart/mixed body, after the statement part. */
  parts?: MultipartPart[];
}

/**
 * POST and PUT /statements, as the specification's steps: check the scope, prepare (parse, validate,
 * normalize), pair attachments, then in one transaction under the store's lock: complete what the LRS
 * sets, find conflicts, insert what is new, link StatementRefs, void, record definitions. A rejected
 * batch stores nothing.
 */
export async function storeStatements(
  db: Database,
  writes: WriteTracker,
  terms: TermDictionary,
  preparer: StatementPreparer,
  knownAgents: KnownAgents,
  tail: IndexTail,
  request: StoreStatementsRequest,
): Promise<string[]> {
  const { principal, version } = request;
  checkScope(principal);
  const withAttachments = request.parts !== undefined && request.parts.length > 0;
  const preparation =
    request.json !== undefined && !withAttachments
      ? await preparer.prepare(request.json, version, request.statementId)
      : prepareStatements(request.body, version, request.statementId, { keepParsed: true });
  if (!preparation.ok) throw badRequest(preparation.message, preparation.problems);
  let { batch } = preparation;
  if (batch.needsParts && batch.parsed === undefined && request.json !== undefined) {
    // Attachments that need parts came without any: prepared again here to say exactly what is missing.
    const again = prepareJson(request.json, version, request.statementId, { keepParsed: true });
    if (again.ok) batch = again.batch;
  }
  const files = await checkAttachments(batch.parsed, request.parts ?? [], version);
  await tail.ready();
  return writes.track(async () => {
    let commitTerms = () => {};
    let commitAgents = () => {};
    await db.transaction(
      async (tx) => {
        // Stored instants are taken under the store's lock, so that stored order is commit order.
        const completed = batch.statements.map((s) => complete(s, principal));
        const fresh = await skipKnown(tx, tail, principal.storeId, completed, version);
        commitTerms = await insert(tx, tail, principal, terms, fresh);
        await storeFiles(tx, principal.storeId, files);
        if (allows(principal.scopes, "define"))
          commitAgents = await recordDefinitions(tx, principal.storeId, batch.definitions, knownAgents);
      },
      { lock: `statements:${principal.storeId}`, group: true },
    );
    commitTerms();
    commitAgents();
    tail.written();
    return batch.statements.map((s) => s.id);
  });
}

function checkScope(principal: Principal): void {
  if (!allows(principal.scopes, "statements/write")) {
    throw new LrsError(403, "this credential may not write statements (scope statements/write)");
  }
}

async function checkAttachments(
  statements: Statement[] | undefined,
  parts: MultipartPart[],
  version: XapiVersion,
) {
  // Prepared from JSON bytes with no attachment needing a part: nothing to pair.
  if (statements === undefined) return [];
  // "The LRS SHOULD assume binary" when a part omits Content-Transfer-Encoding, as many clients do.
  const { problems, files } = await pairAttachments(statements, parts, {
    version,
    assumeBinaryTransferEncoding: true,
  });
  if (problems.length > 0) throw badRequest(`attachments: ${problems[0]?.message}`, problems);
  return files;
}

/** A prepared statement with what the LRS sets under the lock: its stored JSON and instant. */
interface CompletedStatement extends PreparedStatement {
  stored: string;
  body: string;
}

/** Adds stored, authority, and timestamp when the client sent none, to the prepared JSON. */
function complete(statement: PreparedStatement, principal: Principal): CompletedStatement {
  const stored = storedNow();
  const timestamp = statement.clientTimestamp ? "" : `"timestamp":"${stored}",`;
  const body = `{"stored":"${stored}",${timestamp}"authority":${authorityJson(principal)},${statement.json.slice(1)}`;
  return { ...statement, stored, body };
}

const authorityCache = new WeakMap<Principal, string>();
function authorityJson(principal: Principal): string {
  let json = authorityCache.get(principal);
  if (json === undefined) {
    json = JSON.stringify(principal.authority);
    authorityCache.set(principal, json);
  }
  return json;
}

/**
 * Statements whose id the store holds already are not stored again: the same statement is accepted
 * without change (204/200), a different one with the same id is a conflict (409).
 */
async function skipKnown(
  tx: Queryable,
  tail: IndexTail,
  storeId: string,
  statements: CompletedStatement[],
  version: XapiVersion,
): Promise<CompletedStatement[]> {
  const existing = await findByIds(
    tx,
    tail,
    storeId,
    statements.map((s) => s.id),
  );
  if (existing.length === 0) return statements;
  const byId = new Map(existing.map((row) => [row.id, JSON.parse(row.body) as Statement]));
  const fresh: CompletedStatement[] = [];
  for (const statement of statements) {
    const held = byId.get(statement.id);
    if (!held) {
      fresh.push(statement);
      continue;
    }
    // Compared with what the client sent (a timestamp the LRS filled in is not part of it), under the
    // comparison rules of the request's version.
    if (!sameStatement(held, JSON.parse(statement.json) as Statement, version)) {
      throw new LrsError(409, `a different statement with id ${statement.id} is stored already`);
    }
  }
  return fresh;
}

async function insert(
  tx: Queryable,
  tail: IndexTail,
  principal: Principal,
  terms: TermDictionary,
  statements: CompletedStatement[],
): Promise<() => void> {
  if (statements.length === 0) return () => {};
  const storeId = principal.storeId;
  const authority = agentIfi(principal.authority);
  const entries = statements.map((s) =>
    authority ? [...s.index, { kind: "agent+" as const, value: authority }] : s.index,
  );
  const dictionary = await terms.ensure(tx, storeId, entries.flat());
  const termIds = (list: IndexEntry[]) =>
    list.map((e) => dictionary.ids.get(TermDictionary.key(storeId, e.kind, e.value)) as number);
  const rows = statements.map((s, i) => ({
    id: s.id,
    stored: s.stored,
    credential: principal.key,
    body: s.body,
    terms: termIds(entries[i] as IndexEntry[]),
    refTarget: s.refTarget,
  }));
  const seqs = await insertStatements(tx, storeId, rows);
  await tail.write(
    tx,
    rows.map((row, i) => ({ storeId, id: row.id, seq: seqs[i] as number, terms: row.terms })),
  );
  const batch = new Map<string, BatchEntry>();
  statements.forEach((s, i) => {
    batch.set(s.id, { seq: seqs[i] as number, statement: s, terms: rows[i]?.terms ?? [] });
  });
  await linkStatementRefs(tx, tail, storeId, terms, batch);
  await voidTargets(tx, tail, storeId, batch);
  return dictionary.commit;
}

interface BatchEntry {
  seq: number;
  statement: CompletedStatement;
  terms: number[];
}

const isVoiding = (s: Statement) => s.verb.id === VOIDED_VERB && s.object.objectType === "StatementRef";

/**
 * A statement that targets another matches the filters its target matches: copy the target's index
 * terms to its referrers, through chains of references, whichever of the two arrived first.
 */
async function linkStatementRefs(
  tx: Queryable,
  tail: IndexTail,
  storeId: string,
  terms: TermDictionary,
  batch: Map<string, BatchEntry>,
): Promise<void> {
  const known = new Map<number, Set<number>>();
  for (const { seq, terms: own } of batch.values()) known.set(seq, new Set(own));
  /** A stored statement's terms: its own (from its body) and the copies it took. */
  const termsOf = async (seq: number, body: string): Promise<Set<number>> => {
    let set = known.get(seq);
    if (set) return set;
    const own = await terms.find(tx, storeId, indexEntries(JSON.parse(body) as Statement));
    set = new Set(own.values());
    for (const c of await copiesOf(tx, [seq])) set.add(Number(c.term));
    known.set(seq, set);
    return set;
  };
  const copy = async (from: Set<number>, to: Set<number>, toSeq: number): Promise<boolean> => {
    const added: { seq: number; term: number }[] = [];
    for (const term of from) {
      if (to.has(term)) continue;
      to.add(term);
      added.push({ seq: toSeq, term });
    }
    await addCopies(tx, added);
    return added.length > 0;
  };

  // New referrers take the terms of targets stored earlier.
  const targets = [...batch.values()]
    .map(({ seq, statement }) => ({ seq, target: statement.refTarget }))
    .filter((r): r is { seq: number; target: string } => r.target !== undefined && !batch.has(r.target));
  if (targets.length > 0) {
    const found = new Map(
      (
        await findByIds(
          tx,
          tail,
          storeId,
          targets.map((t) => t.target),
        )
      ).map((f) => [f.id, f]),
    );
    for (const t of targets) {
      const row = found.get(t.target);
      if (row) await copy(await termsOf(Number(row.seq), row.body), known.get(t.seq) as Set<number>, t.seq);
    }
  }

  // Then every new statement pushes its terms to its referrers, and they to theirs.
  const queue = [...batch.entries()].map(([id, { seq }]) => ({ id, seq }));
  for (let guard = 0; queue.length > 0 && guard < 100_000; guard++) {
    const wave = queue.splice(0, queue.length);
    const referrers = await referrersOf(
      tx,
      storeId,
      wave.map((w) => w.id),
    );
    const seqOfId = new Map(wave.map((w) => [w.id, w.seq]));
    for (const ref of referrers) {
      const from = seqOfId.get(ref.target_id);
      const to = Number(ref.seq);
      if (from === undefined || from === to) continue;
      const fromTerms = known.get(from) as Set<number>;
      if (await copy(fromTerms, await termsOf(to, ref.body), to)) {
        const referrer = JSON.parse(ref.body) as { id: string };
        queue.push({ id: referrer.id.toLowerCase(), seq: to });
      }
    }
  }
}

/**
 * A statement is voided when a voiding statement targets it and it is not itself a voiding statement,
 * whichever arrives first. A voiding statement that targets a voiding statement is kept and ignored.
 */
async function voidTargets(
  tx: Queryable,
  tail: IndexTail,
  storeId: string,
  batch: Map<string, BatchEntry>,
): Promise<void> {
  const targets = new Set<string>();
  for (const { statement } of batch.values()) {
    if (statement.voiding && statement.refTarget) targets.add(statement.refTarget);
  }
  // Statements of this batch that an earlier voiding statement targets.
  const referrers = await referrersOf(tx, storeId, [...batch.keys()]);
  for (const ref of referrers) {
    if (isVoiding(JSON.parse(ref.body) as Statement)) targets.add(ref.target_id);
  }
  if (targets.size === 0) return;
  const toVoid: number[] = [];
  const outside = [...targets].filter((id) => !batch.has(id));
  const held = await findByIds(tx, tail, storeId, outside);
  for (const row of held) if (!isVoiding(JSON.parse(row.body) as Statement)) toVoid.push(Number(row.seq));
  for (const id of targets) {
    const inBatch = batch.get(id);
    if (inBatch && !inBatch.statement.voiding) toVoid.push(inBatch.seq);
  }
  await markVoided(tx, toVoid);
}

async function storeFiles(
  tx: Queryable,
  storeId: string,
  files: { sha2: string; contentType: string; content: Buffer }[],
): Promise<void> {
  if (files.length === 0) return;
  await tx.insertMany(
    "attachments",
    ["store_id", "sha2", "content_type", "content"],
    files.map((f) => [storeId, f.sha2, f.contentType, f.content]),
    "ON CONFLICT DO NOTHING",
  );
}
