/**
 * Notices over the database: a notice is made from the agreement (through the agreements registry),
 * its participants' titles and the data categories of the datasets the agreement was made for (the
 * catalog entries of its offers), then stored once (content-addressed, table `consent_notices`) so that
 * the consent record it leads to can reference its id and digest, and the learner can see it again.
 */
import type { AuditLog } from "../audit/index.js";
import type { Agreement, Participant } from "../contract/index.js";
import type { Database, Queryable } from "../store/index.js";
import {
  buildNotice,
  canonicalNotice,
  type Notice,
  type NoticeAudience,
  NoticeError,
  type NoticeOptions,
  type NoticeParticipant,
  verifyNotice,
} from "./notices.js";
import type { NoticeLanguage } from "./notices-labels.js";

/** What the notice service needs of the contract module (AgreementRegistry satisfies it). */
export interface NoticeAgreements {
  get(id: string): Promise<Agreement | undefined>;
  participants: { get(id: string): Promise<Participant | undefined> };
}

/** Where the data categories of an agreement come from. */
export type CategorySource = (agreement: Agreement) => Promise<string[]>;

/** Deployment-wide words of the notices: jurisdiction, storage, contact, the portal's address. */
export type NoticeSettings = Omit<NoticeOptions, "language" | "audience" | "dataCategories">;

/**
 * The DPV categories declared by the catalog entries (every version) of the agreement's offers. Reads
 * the catalog's table directly, read-only: the catalog keeps every version, so an offer's entry never
 * changes under a notice.
 */
export function catalogCategories(db: Queryable): CategorySource {
  return async (agreement) => {
    const out = new Set<string>();
    for (const offer of agreement.offers) {
      const rows = await db.all<{ description: string }>(
        "SELECT description FROM catalog_entries WHERE offer_id = ? ORDER BY seq",
        [offer],
      );
      for (const row of rows) {
        // The stored column holds the publisher and the provider's description under `description`.
        const d = JSON.parse(row.description) as { description?: { dataCategories?: string[] } };
        for (const c of d.description?.dataCategories ?? []) out.add(c);
      }
    }
    return [...out];
  };
}

interface NoticeRow {
  id: string;
  digest: string;
  notice: string;
}

export class NoticeService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditLog,
    private readonly agreements: NoticeAgreements,
    private readonly options: {
      categories?: CategorySource;
      settings?: NoticeSettings;
      now?: () => Date;
    } = {},
  ) {}

  /** Makes the notice of an agreement (not stored). */
  async make(
    agreementId: string,
    language: NoticeLanguage,
    audience: NoticeAudience = "learner",
    overrides: { dataCategories?: string[] } = {},
  ): Promise<Notice> {
    const agreement = await this.agreements.get(agreementId);
    if (!agreement) throw new NoticeError(404, `no agreement ${agreementId}`);
    const participants = new Map<string, NoticeParticipant>();
    for (const p of agreement.parties) {
      const found = await this.agreements.participants.get(p.participant);
      if (found) participants.set(p.participant, found);
    }
    const dataCategories =
      overrides.dataCategories ?? (await (this.options.categories ?? catalogCategories(this.db))(agreement));
    return buildNotice(agreement, participants, {
      ...this.options.settings,
      language,
      audience,
      dataCategories,
    });
  }

  /**
   * Stores a notice (once: the same content has the same id) and returns it. Inside `tx` when given,
   * so that it commits with the consent record that references it.
   */
  async save(notice: Notice, actor: string, tx?: Queryable): Promise<Notice> {
    if (!verifyNotice(notice)) throw new NoticeError(400, "the notice's id or digest is not its content's");
    const write = async (q: Queryable) => {
      const existing = await q.one<NoticeRow>("SELECT id, digest, notice FROM consent_notices WHERE id = ?", [
        notice.id,
      ]);
      if (existing) return;
      await q.run(
        "INSERT INTO consent_notices (id, digest, agreement_id, language, audience, notice, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        [
          notice.id,
          notice.digest,
          notice.agreement.id,
          notice.language,
          notice.audience,
          canonicalNotice(notice),
          (this.options.now?.() ?? new Date()).toISOString(),
        ],
      );
      await this.audit.append(
        {
          actor,
          action: "consent.notice.stored",
          subject: notice.agreement.id,
          details: {
            notice: notice.id,
            digest: notice.digest,
            language: notice.language,
            audience: notice.audience,
          },
        },
        q,
      );
    };
    if (tx) await write(tx);
    else await this.db.transaction(write, { lock: `learnpool:consent:notice:${notice.id}` });
    return notice;
  }

  /** Makes and stores the notice: what a portal shows before asking. */
  async issue(
    agreementId: string,
    language: NoticeLanguage,
    audience: NoticeAudience,
    actor: string,
  ): Promise<Notice> {
    return this.save(await this.make(agreementId, language, audience), actor);
  }

  /** A stored notice, checked against its digest. */
  async get(id: string, q: Queryable = this.db): Promise<Notice | undefined> {
    const row = await q.one<NoticeRow>("SELECT id, digest, notice FROM consent_notices WHERE id = ?", [id]);
    if (!row) return undefined;
    const notice = { id: row.id, digest: row.digest, ...(JSON.parse(row.notice) as object) } as Notice;
    if (!verifyNotice(notice)) throw new NoticeError(500, `stored notice ${id} does not match its digest`);
    return notice;
  }

  /** The notices stored for an agreement, newest first. */
  async ofAgreement(
    agreementId: string,
  ): Promise<Array<Pick<Notice, "id" | "digest" | "language" | "audience">>> {
    return this.db.all(
      "SELECT id, digest, language, audience FROM consent_notices WHERE agreement_id = ? ORDER BY created_at DESC, id",
      [agreementId],
    );
  }
}
