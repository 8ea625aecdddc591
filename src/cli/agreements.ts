/**
 * Command-line wiring of participants and signed agreements (contract): `learnpool participant
 * add|list|keygen|revoke-key|categorize|categories|jwks` and `learnpool agreement propose|list|show|
 * sign|status|verify|terminate|revoke`, on the database of `--db`. Keys are signed with locally: a private JWK file that
 * `participant keygen` writes with mode 0600 and that never reaches the terminal or the database.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import type { JWK } from "jose";
import { AuditLog } from "../audit/index.js";
import {
  type AgreementDraft,
  AgreementError,
  AgreementRegistry,
  contractEnvironment,
  contractSettingsFromEnvironment,
  generateParticipantKey,
  PARTICIPANT_ROLES,
  type ParticipantRole,
  revocationStatement,
  signAgreement,
  signEvent,
  terminationStatement,
} from "../contract/index.js";
import { Lrs, Tenancy } from "../lrs/index.js";
import { type Database, openDatabase } from "../store/index.js";
import { cliActor, dbOption, printJson } from "./common.js";

async function withRegistry<T>(
  location: string,
  fn: (registry: AgreementRegistry, db: Database, audit: AuditLog) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(location);
  try {
    const audit = new AuditLog(db);
    return await fn(new AgreementRegistry(db, audit), db, audit);
  } finally {
    await db.close();
  }
}

/**
 * The registry of the contract environment (contract/environment.ts): a termination or revocation made
 * here also stops, at once, the transfers running under the agreement (their consumers are told).
 */
async function withEnvironmentRegistry<T>(
  location: string,
  fn: (registry: AgreementRegistry) => Promise<T>,
): Promise<T> {
  const db = await openDatabase(location);
  const lrs = new Lrs(db, { authorityHomePage: process.env.LEARNPOOL_PUBLIC_URL ?? "http://localhost:8080" });
  try {
    const contract = contractEnvironment(lrs, contractSettingsFromEnvironment());
    try {
      return await fn(contract.agreements);
    } finally {
      await contract.dsp.idle();
    }
  } finally {
    await lrs.close();
    await db.close();
  }
}

function readJson(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new AgreementError(400, `${what} ${file}: ${(err as Error).message}`);
  }
}

/** The private key of a file written by `participant keygen`, and its kid. */
function privateKey(file: string): { jwk: JWK; kid: string } {
  const jwk = readJson(file, "the private key") as JWK;
  if (typeof jwk.d !== "string" || typeof jwk.kid !== "string") {
    throw new AgreementError(
      400,
      `${file} is not a private JWK with a kid (made by 'learnpool participant keygen')`,
    );
  }
  return { jwk, kid: jwk.kid };
}

/** The participant that acts: --as, or the holder of the key's kid. */
async function actingParticipant(registry: AgreementRegistry, kid: string, as?: string): Promise<string> {
  if (as) return as;
  const key = await registry.participants.key(kid);
  if (!key) throw new AgreementError(400, `key ${kid} is registered to no participant; name one with --as`);
  return key.participant;
}

export function agreementCommands(): Command[] {
  const participant = new Command("participant").description(
    "participants of the data space (one per store) and their Ed25519 signing keys",
  );
  participant
    .command("add <id>")
    .description("register the participant of store <id> (the operator registers first)")
    .addOption(new Option("--role <role>", "its role").choices([...PARTICIPANT_ROLES]).makeOptionMandatory())
    .option("--title <title>", "a readable name")
    .option(
      "--iri <iri>",
      "its ODRL party IRI / Dataspace Protocol participantId (default urn:learnpool:participant:<id>)",
    )
    .option("--key <file>", "a public JWK to register with it")
    .option("--create-store", "create the store <id> if it does not exist")
    .addOption(dbOption())
    .action(
      async (
        id: string,
        o: {
          role: ParticipantRole;
          title?: string;
          iri?: string;
          key?: string;
          createStore?: boolean;
          db: string;
        },
      ) => {
        await withRegistry(o.db, async (registry, db, audit) => {
          if (o.createStore)
            await new Tenancy(db, audit, "http://localhost").ensureStore(id, o.title ?? id, cliActor());
          const made = await registry.participants.register(
            { id, role: o.role, ...(o.title && { title: o.title }), ...(o.iri && { iri: o.iri }) },
            cliActor(),
          );
          const keys = o.key
            ? [await registry.participants.addKey(id, readJson(o.key, "the public key"), cliActor())]
            : [];
          printJson({ ...made, keys });
        });
      },
    );
  participant
    .command("list")
    .description("list the participants")
    .addOption(dbOption())
    .action(async (o: { db: string }) => {
      await withRegistry(o.db, async (registry) => printJson(await registry.participants.list()));
    });
  participant
    .command("keygen")
    .description("make an Ed25519 key pair: the private JWK to --out (mode 0600), the public one to stdout")
    .requiredOption("--out <file>", "where to write the private JWK (never overwritten)")
    .option("--participant <id>", "also register the public key to this participant")
    .addOption(dbOption())
    .action(async (o: { out: string; participant?: string; db: string }) => {
      if (existsSync(o.out))
        throw new AgreementError(409, `${o.out} exists: a private key is never overwritten`);
      const pair = await generateParticipantKey();
      writeFileSync(o.out, `${JSON.stringify(pair.privateJwk)}\n`, { mode: 0o600, flag: "wx" });
      if (o.participant) {
        const who = o.participant;
        await withRegistry(o.db, (registry) => registry.participants.addKey(who, pair.publicJwk, cliActor()));
      }
      printJson(pair.publicJwk);
    });
  participant
    .command("revoke-key <id> <kid>")
    .description("revoke a participant's key: it verifies no new signature")
    .addOption(dbOption())
    .action(async (id: string, kid: string, o: { db: string }) => {
      await withRegistry(o.db, async (registry) =>
        printJson(await registry.participants.revokeKey(id, kid, cliActor())),
      );
    });
  participant
    .command("categorize <id> <category>")
    .description(
      "put a participant in a category (an IRI, or lp:PublicResearchInEducation…): consent given to the category counts for it, and access policies see it as ODRL partOf",
    )
    .option("--remove", "take it out of the category from now on instead")
    .addOption(dbOption())
    .action(async (id: string, category: string, o: { remove?: boolean; db: string }) => {
      await withRegistry(o.db, async (registry) =>
        printJson(
          o.remove
            ? await registry.participants.uncategorize(id, category, cliActor())
            : await registry.participants.categorize(id, category, cliActor()),
        ),
      );
    });
  participant
    .command("categories <id>")
    .description("list a participant's categories now, and every membership it had")
    .addOption(dbOption())
    .action(async (id: string, o: { db: string }) => {
      await withRegistry(o.db, async (registry) => {
        if (!(await registry.participants.get(id))) throw new AgreementError(404, `no participant '${id}'`);
        printJson({
          participant: id,
          categories: await registry.participants.categories(id),
          history: await registry.participants.categoryHistory(id),
        });
      });
    });
  participant
    .command("jwks <id>")
    .description("print a participant's JWKS (its unrevoked public keys)")
    .addOption(dbOption())
    .action(async (id: string, o: { db: string }) => {
      await withRegistry(o.db, async (registry) => printJson(await registry.participants.jwks(id)));
    });

  const agreement = new Command("agreement").description(
    "multi-party agreements: an ODRL Agreement every party signs (Ed25519 JWS over RFC 8785 canonical JSON)",
  );
  agreement
    .command("propose")
    .description("propose an agreement from a draft file: {parties, offers, policy, notBefore, notAfter, …}")
    .requiredOption("--draft <file>", "the draft (JSON)")
    .option("--as <participant>", "the proposer (the operator or the consumer), unless the draft names it")
    .addOption(dbOption())
    .action(async (o: { draft: string; as?: string; db: string }) => {
      const draft = readJson(o.draft, "the draft") as AgreementDraft;
      if (o.as) draft.proposedBy = o.as;
      await withRegistry(o.db, async (registry) => {
        const made = await registry.propose(draft);
        printJson({ id: made.id, digest: made.digest, status: await registry.status(made.id) });
      });
    });
  agreement
    .command("list")
    .description("list agreements")
    .option("--participant <id>", "only those this participant is party to")
    .addOption(dbOption())
    .action(async (o: { participant?: string; db: string }) => {
      await withRegistry(o.db, async (registry) => {
        const list = await registry.list(o.participant ? { participant: o.participant } : {});
        printJson(
          list.map((a) => ({ id: a.id, digest: a.digest, parties: a.parties, notAfter: a.notAfter })),
        );
      });
    });
  agreement
    .command("show <id>")
    .description("print an agreement's document (or, with --canonical, the exact text parties sign)")
    .option("--canonical", "print the RFC 8785 canonical text only")
    .addOption(dbOption())
    .action(async (id: string, o: { canonical?: boolean; db: string }) => {
      await withRegistry(o.db, async (registry) => {
        const found = await registry.get(id);
        if (!found) throw new AgreementError(404, `no agreement ${id}`);
        if (o.canonical) process.stdout.write(found.canonical);
        else
          printJson({
            id: found.id,
            digest: found.digest,
            document: found.document,
            events: await registry.events(id),
          });
      });
    });
  agreement
    .command("sign <id>")
    .description("sign an agreement with a private key file and record the signature")
    .requiredOption("--key <file>", "the private JWK (from 'participant keygen')")
    .option("--as <participant>", "the signing party (default: the holder of the key)")
    .addOption(dbOption())
    .action(async (id: string, o: { key: string; as?: string; db: string }) => {
      const { jwk, kid } = privateKey(o.key);
      await withRegistry(o.db, async (registry) => {
        const found = await registry.get(id);
        if (!found) throw new AgreementError(404, `no agreement ${id}`);
        const who = await actingParticipant(registry, kid, o.as);
        printJson(await registry.sign(id, who, await signAgreement(found.canonical, jwk, kid)));
      });
    });
  const ending = (name: "terminate" | "revoke", description: string) =>
    agreement
      .command(`${name} <id>`)
      .description(description)
      .requiredOption("--key <file>", "the private JWK of the acting party")
      .requiredOption("--reason <text>", "why")
      .option("--as <participant>", "the acting party (default: the holder of the key)")
      .addOption(dbOption())
      .action(async (id: string, o: { key: string; reason: string; as?: string; db: string }) => {
        const { jwk, kid } = privateKey(o.key);
        await withEnvironmentRegistry(o.db, async (registry) => {
          const found = await registry.get(id);
          if (!found) throw new AgreementError(404, `no agreement ${id}`);
          const who = await actingParticipant(registry, kid, o.as);
          const statement = (name === "terminate" ? terminationStatement : revocationStatement)(
            found,
            o.reason,
          );
          const jws = await signEvent(statement, jwk, kid);
          printJson(
            await (name === "terminate" ? registry.terminate(id, who, jws) : registry.revoke(id, who, jws)),
          );
        });
      });
  ending("terminate", "terminate an agreement (any party), signed with the party's key");
  ending("revoke", "revoke an agreement (the operator), signed with the operator's key");
  agreement
    .command("status <id>")
    .description("the agreement's state (proposed, final, not-yet-valid, expired, terminated, revoked)")
    .option("--at <date-time>", "the instant to judge at (default now)")
    .addOption(dbOption())
    .action(async (id: string, o: { at?: string; db: string }) => {
      if (o.at !== undefined && Number.isNaN(Date.parse(o.at))) {
        throw new AgreementError(400, "--at must be an ISO 8601 date-time");
      }
      await withRegistry(o.db, async (registry) => {
        const status = await registry.status(id, o.at ? new Date(o.at) : undefined);
        printJson(status);
        if (!status.valid) process.exitCode = 1;
      });
    });
  agreement
    .command("verify <id>")
    .description("re-verify the document's digest, the event chain and every signature (exit 1 if broken)")
    .addOption(dbOption())
    .action(async (id: string, o: { db: string }) => {
      await withRegistry(o.db, async (registry) => {
        const result = await registry.verify(id);
        printJson(result);
        if (!result.ok) process.exitCode = 1;
      });
    });
  return [participant, agreement];
}
