/**
 * The Learning Record Store: xAPI's resources (statements, state, activity and agent profiles,
 * activities, agents) over `store`, one store per provider, credentials with xAPI scopes. This module
 * holds the rules of each resource; HTTP lives in `server`.
 */
import { AuditLog } from "../audit/index.js";
import type { Database } from "../store/index.js";
import type { XapiVersion } from "../xapi/index.js";
import { ActivityService } from "./activities.js";
import { AgentService } from "./agents.js";
import { KnownAgents } from "./definitions.js";
import { DocumentService } from "./documents/index.js";
import { WriteTracker } from "./statements/consistency.js";
import { type PreparerOptions, StatementPreparer } from "./statements/preparer.js";
import {
  attachmentContent,
  fetchStatements,
  parseStatementsRequest,
  type QueryLimits,
  type StatementsRequest,
} from "./statements/query.js";
import { type StoreStatementsRequest, storeStatements } from "./statements/store.js";
import { IndexTail } from "./statements/tail.js";
import { TermDictionary } from "./statements/terms.js";
import type { Principal } from "./tenancy.js";
import { Tenancy } from "./tenancy.js";

export type { ActivityService } from "./activities.js";
export type { AgentService, Person } from "./agents.js";
export type {
  DocumentKind,
  DocumentRead,
  DocumentService,
  DocumentWrite,
  StoredDocument,
} from "./documents/index.js";
export { badRequest, LrsError } from "./errors.js";
export { type Access, allows, isScope, SCOPES, type Scope } from "./scopes.js";
export { agentParam, type StatementsRequest, type StatementsResult } from "./statements/query.js";
export type { CredentialInfo, Principal, Store } from "./tenancy.js";
export { Tenancy } from "./tenancy.js";

export interface LrsOptions {
  /** The homePage of the `authority` agent the LRS writes for each credential. */
  authorityHomePage: string;
  limits?: Partial<QueryLimits>;
  /** Where JSON statement batches are parsed and validated (a worker thread by default). */
  preparer?: PreparerOptions;
}

export class Lrs {
  readonly tenancy: Tenancy;
  readonly audit: AuditLog;
  /** State, Activity Profile and Agent Profile resources. */
  readonly documents: DocumentService;
  readonly activities: ActivityService;
  readonly agents: AgentService;
  private readonly writes = new WriteTracker();
  private readonly terms = new TermDictionary();
  private readonly preparer: StatementPreparer;
  private readonly knownAgents = new KnownAgents();
  private readonly limits: QueryLimits;
  private readonly tail: IndexTail;

  constructor(
    readonly db: Database,
    options: LrsOptions,
  ) {
    this.audit = new AuditLog(db);
    this.tenancy = new Tenancy(db, this.audit, options.authorityHomePage);
    this.limits = { maxPage: 500, ...options.limits };
    this.preparer = new StatementPreparer(options.preparer);
    this.documents = new DocumentService(db);
    this.activities = new ActivityService(db);
    this.agents = new AgentService(db);
    this.tail = new IndexTail(db, this.terms);
  }

  /** POST/PUT /statements: stores the statements atomically and returns their ids in order. */
  storeStatements(request: StoreStatementsRequest): Promise<string[]> {
    return storeStatements(
      this.db,
      this.writes,
      this.terms,
      this.preparer,
      this.knownAgents,
      this.tail,
      request,
    );
  }

  /**
   * Writes the index tail to disk (so the next start need not derive it) and stops the statement
   * worker thread; the database is the caller's to close.
   */
  async close(): Promise<void> {
    await this.tail.close();
    await this.preparer.close();
  }

  parseStatementsRequest(
    params: Record<string, string>,
    version: XapiVersion,
    languages: string[],
  ): StatementsRequest {
    return parseStatementsRequest(params, version, languages, this.limits);
  }

  /** GET /statements. `moreBase` is the path `more` links start with (e.g. `/xapi/statements`). */
  fetchStatements(principal: Principal, request: StatementsRequest, moreBase: string) {
    return fetchStatements(this.db, this.terms, this.tail, principal, request, moreBase);
  }

  attachment(principal: Principal, sha2: string) {
    return attachmentContent(this.db, principal.storeId, sha2);
  }

  consistentThrough(): Date {
    return this.writes.consistentThrough();
  }
}
