/**
 * Command-line wiring of the consent module: `learnpool consent notice|request|status|withdraw|history|
 * verify|notifications list|deliver`, on the database of `--db`. Receipts are signed by the registry
 * under the master key (LEARNPOOL_MASTER_KEY or LEARNPOOL_MASTER_KEY_FILE). `verify` needs no database
 * when given the registry's JWKS (`--jwks`, as GET /consent/jwks.json serves it): it checks offline.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { Command, Option } from "commander";
import type { JWK } from "jose";
import { AuditLog } from "../audit/index.js";
import {
  type AgeClaim,
  ConsentError,
  ConsentNotifier,
  ConsentRegistry,
  DEFAULT_AUDIENCE,
  decodePayload,
  NOTICE_AUDIENCES,
  NOTICE_LANGUAGES,
  type NoticeAudience,
  type NoticeLanguage,
  NoticeService,
  NotificationDelivery,
  type NotificationState,
  noticeHtml,
  noticeMarkdown,
  type RegistryJwks,
  signPortalLink,
  verifyReceipt,
} from "../consent/index.js";
import { AgreementRegistry, WithdrawalDuties, withdrawalGraceMs } from "../contract/index.js";
import { type Database, openDatabase } from "../store/index.js";
import { cliActor, dbOption, printJson } from "./common.js";

const list = (v: string) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

interface Consent {
  db: Database;
  agreements: AgreementRegistry;
  registry: ConsentRegistry;
  notices: NoticeService;
  notifier: ConsentNotifier;
}

async function withConsent<T>(location: string, fn: (c: Consent) => Promise<T>): Promise<T> {
  const db = await openDatabase(location);
  try {
    const audit = new AuditLog(db);
    const agreements = new AgreementRegistry(db, audit);
    const registry = new ConsentRegistry(db, audit, agreements);
    // A withdrawal made here opens the consumers' deletion duties, as the server's does.
    const grace = process.env.LEARNPOOL_CONSENT_DELETION_GRACE;
    const notifier = new ConsentNotifier(db, audit, agreements, {
      allowHttp: process.env.LEARNPOOL_CONSENT_HTTP_WEBHOOKS === "1",
      deletionDuties: new WithdrawalDuties(
        audit,
        agreements,
        grace ? { graceMs: withdrawalGraceMs(grace) } : {},
      ),
    });
    registry.onChange(notifier.listener());
    return await fn({
      db,
      agreements,
      registry,
      notices: new NoticeService(db, audit, agreements),
      notifier,
    });
  } finally {
    await db.close();
  }
}

/** A file's contents when the argument names one, else the argument itself (a compact JWS). */
function textOrFile(value: string): string {
  return existsSync(value) ? readFileSync(value, "utf8").trim() : value.trim();
}

function age(value: string | undefined): AgeClaim | undefined {
  if (value === undefined) return undefined;
  return value === "adult" ? { adult: true } : { birthYearMonth: value };
}

export function consentCommands(): Command[] {
  const consent = new Command("consent").description(
    "learners' consent: notices, requests, withdrawals, receipts and notifications to consumers",
  );

  consent
    .command("notice")
    .description("print the privacy notice of an agreement (stored, so that a request can name it)")
    .requiredOption("--agreement <id>", "the agreement")
    .addOption(new Option("--lang <lang>", "its language").choices([...NOTICE_LANGUAGES]).default("fr"))
    .addOption(
      new Option("--audience <who>", "who reads it").choices([...NOTICE_AUDIENCES]).default("learner"),
    )
    .addOption(
      new Option("--format <format>", "what to print")
        .choices(["markdown", "html", "json"])
        .default("markdown"),
    )
    .option("--categories <list>", "data categories (pd:…), when the catalog does not say")
    .addOption(dbOption())
    .action(
      async (o: {
        agreement: string;
        lang: NoticeLanguage;
        audience: NoticeAudience;
        format: string;
        categories?: string;
        db: string;
      }) => {
        await withConsent(o.db, async (c) => {
          const made = await c.notices.make(
            o.agreement,
            o.lang,
            o.audience,
            o.categories ? { dataCategories: list(o.categories) } : {},
          );
          const notice = await c.notices.save(made, cliActor());
          if (o.format === "json") printJson(notice);
          else process.stdout.write(o.format === "html" ? `${noticeHtml(notice)}\n` : noticeMarkdown(notice));
          process.stderr.write(`notice ${notice.id} sha256 ${notice.digest}\n`);
        });
      },
    );

  consent
    .command("request")
    .description("as a provider, ask a learner's consent (one record per purpose, recipient and category)")
    .requiredOption("--agreement <id>", "the agreement")
    .requiredOption("--learner <pseudonym>", "the learner's pseudonym in the agreement's linkage domain")
    .requiredOption("--provider <id>", "the provider asking (a provider party of the agreement)")
    .requiredOption("--purposes <list>", "purposes: dpv:TrainAIModel,dpv:AcademicResearch…")
    .requiredOption("--recipients <list>", "the consumer's participant id or recipient categories")
    .requiredOption("--categories <list>", "data categories: pd:Behavioral,pd:EducationExperience…")
    .option("--retention <duration>", "how long consent lasts (ISO 8601 duration)", "P1Y")
    .option("--storage <list>", "storage locations (ISO 3166 codes)", "FR")
    .option("--jurisdiction <code>", "the jurisdiction whose law applies", "FR")
    .addOption(
      new Option("--lang <lang>", "the notice's language").choices([...NOTICE_LANGUAGES]).default("fr"),
    )
    .option("--age <adult|YYYY-MM>", "the learner's age as the provider knows it")
    .option("--key <file>", "the provider's private JWK: print a portal link signed with it")
    .addOption(dbOption())
    .action(
      async (o: {
        agreement: string;
        learner: string;
        provider: string;
        purposes: string;
        recipients: string;
        categories: string;
        retention: string;
        storage: string;
        jurisdiction: string;
        lang: NoticeLanguage;
        age?: string;
        key?: string;
        db: string;
      }) => {
        await withConsent(o.db, async (c) => {
          const claim = age(o.age);
          const minor = claim !== undefined && !("adult" in claim);
          const notice = await c.notices.save(
            await c.notices.make(o.agreement, o.lang, minor ? "guardian" : "learner"),
            cliActor(),
          );
          const result = await c.registry.request(
            {
              agreement: o.agreement,
              learner: o.learner,
              notice: { id: notice.id, digest: notice.digest },
              language: o.lang,
              jurisdiction: o.jurisdiction,
              purposes: list(o.purposes),
              recipients: list(o.recipients),
              dataCategories: list(o.categories),
              retention: { duration: o.retention },
              storageLocations: list(o.storage),
              ...(claim && { age: claim }),
            },
            o.provider,
          );
          let link: string | undefined;
          if (o.key) {
            const jwk = JSON.parse(readFileSync(o.key, "utf8")) as JWK;
            if (typeof jwk.kid !== "string")
              throw new ConsentError(400, `${o.key} is not a private JWK with a kid`);
            const iat = Math.floor(Date.now() / 1000);
            link = await signPortalLink(
              {
                iss: o.provider,
                sub: o.learner,
                agr: o.agreement,
                aud: DEFAULT_AUDIENCE,
                iat,
                exp: iat + 600,
                nonce: randomBytes(16).toString("base64url"),
                role: "learner",
                age: claim ?? { adult: true },
              },
              jwk,
              jwk.kid,
            );
          }
          printJson({
            notice: { id: notice.id, digest: notice.digest },
            changes: result.changes.map(({ record, event, state, at, receipt }) => ({
              record,
              event,
              state,
              at,
              receipt,
            })),
            inForce: result.inForce,
            ...(link && { portalLink: link }),
          });
        });
      },
    );

  consent
    .command("status")
    .description("a learner's records and their current states")
    .requiredOption("--learner <pseudonym>", "the learner's pseudonym")
    .option("--agreement <id>", "only this agreement")
    .addOption(dbOption())
    .action(async (o: { learner: string; agreement?: string; db: string }) => {
      await withConsent(o.db, async (c) => {
        const records = await c.registry.records(o.learner, o.agreement);
        printJson(
          records.map((r) => ({
            record: r.record.id,
            agreement: r.record.agreement,
            purpose: r.record.purpose,
            recipient: r.record.recipient.id,
            dataCategory: r.record.dataCategory,
            state: r.status.state,
            givenAt: r.status.givenAt,
          })),
        );
      });
    });

  consent
    .command("withdraw")
    .description(
      "withdraw consent with a portal link: one record, or everything in force under its agreement",
    )
    .requiredOption("--link <jws|file>", "the portal link (a compact JWS, or a file holding it)")
    .option("--record <id>", "only this record")
    .addOption(dbOption())
    .action(async (o: { link: string; record?: string; db: string }) => {
      await withConsent(o.db, async (c) => {
        const jws = textOrFile(o.link);
        const link = await c.registry.verifyLink(jws);
        const changes = await c.registry.withdraw(
          o.record ?? { learner: link.learner, agreement: link.agreement },
          {
            link: jws,
          },
        );
        printJson(
          changes.map(({ record, event, state, at, receipt }) => ({ record, event, state, at, receipt })),
        );
      });
    });

  consent
    .command("history")
    .description("every event of a learner's records, with their receipts")
    .requiredOption("--learner <pseudonym>", "the learner's pseudonym")
    .option("--agreement <id>", "only this agreement")
    .addOption(dbOption())
    .action(async (o: { learner: string; agreement?: string; db: string }) => {
      await withConsent(o.db, async (c) => {
        const out = [];
        for (const r of await c.registry.records(o.learner, o.agreement))
          for (const e of await c.registry.events(r.record.id))
            out.push({
              record: r.record.id,
              purpose: r.record.purpose,
              n: e.n,
              event: e.event,
              by: e.by,
              state: e.state,
              at: e.at,
              receipt: e.receipt,
            });
        printJson(out);
      });
    });

  consent
    .command("verify <receipt>")
    .description("check a receipt (a compact JWS, or a file holding it) against the registry's JWKS, offline")
    .option("--jwks <file>", "the registry's JWKS (GET /consent/jwks.json); default: read from --db")
    .option("--previous <receipt>", "the record's previous receipt: check the chain")
    .addOption(dbOption())
    .action(async (receipt: string, o: { jwks?: string; previous?: string; db: string }) => {
      const text = textOrFile(receipt);
      const jwks: RegistryJwks = o.jwks
        ? (JSON.parse(readFileSync(o.jwks, "utf8")) as RegistryJwks)
        : await withConsent(o.db, (c) => c.registry.jwks());
      const result = await verifyReceipt(text, jwks, o.previous ? { previous: textOrFile(o.previous) } : {});
      if (result.ok) printJson({ ok: true, kid: result.kid, payload: result.payload });
      else {
        printJson({ ok: false, reason: result.reason, payload: decodePayload(text) ?? null });
        process.exitCode = 1;
      }
    });

  const notifications = consent
    .command("notifications")
    .description("notifications to consumers of withdrawals and expiries");
  notifications
    .command("list")
    .description("list notifications (newest last)")
    .option("--consumer <id>", "only this consumer's")
    .addOption(new Option("--state <state>", "only these").choices(["pending", "acknowledged"]))
    .option("--agreement <id>", "only this agreement's")
    .addOption(dbOption())
    .action(async (o: { consumer?: string; state?: NotificationState; agreement?: string; db: string }) => {
      await withConsent(o.db, async (c) => {
        printJson({
          notifications: await c.notifier.notifications({
            ...(o.consumer && { consumer: o.consumer }),
            ...(o.state && { state: o.state }),
            ...(o.agreement && { agreement: o.agreement }),
          }),
          latency: await c.notifier.latencyReport(o.agreement ? { agreement: o.agreement } : {}),
        });
      });
    });
  notifications
    .command("deliver")
    .description("deliver due notifications to the consumers' webhooks (once, or until none is pending)")
    .option("--wait <seconds>", "keep delivering, with backoff, until none is pending or this long passed")
    .addOption(dbOption())
    .action(async (o: { wait?: string; db: string }) => {
      await withConsent(o.db, async (c) => {
        const delivery = new NotificationDelivery(c.db, c.notifier);
        if (o.wait !== undefined) {
          const pending = await delivery.drain(Number(o.wait) * 1000);
          printJson({ pending, latency: await c.notifier.latencyReport() });
          if (pending > 0) process.exitCode = 1;
        } else printJson(await delivery.deliverDue());
      });
    });

  return [consent];
}
