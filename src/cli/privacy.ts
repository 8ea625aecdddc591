/**
 * Command-line wiring of pseudonymization: the master key (`keys master-key`), pseudonymization
 * domains (`domains add|list|rotate|members`) and `pseudonymize`, in keyed mode (the domain key from
 * the database, under the master key) or OPRF mode (a Learnpool service's OPRF endpoint), built by
 * `domainPseudonymizer`, which `deidentify` shares. Identifiers and keys never reach the terminal:
 * rejected lines are reported by number and reason.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Command, Option } from "commander";
import { parse as parseCsv } from "csv-parse/sync";
import { AuditLog } from "../audit/index.js";
import type {
  DomainKey,
  DomainKeys,
  HmacPseudonymizer,
  Identifier,
  OprfPseudonymizer,
  Pseudonymizer,
} from "../privacy/index.js";
import { type Database, openDatabase } from "../store/index.js";
import { cliActor, dbOption } from "./common.js";

// The privacy module (with its WebAssembly group for the OPRF) loads only when a command needs it.
const privacy = () => import("../privacy/index.js");

export function masterKeyOption(): Option {
  return new Option(
    "--master-key-file <file>",
    "the master key's file (or LEARNPOOL_MASTER_KEY with its base64 text)",
  ).env("LEARNPOOL_MASTER_KEY_FILE");
}

const list = (value?: string) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

async function withDomains<T>(
  o: { db: string; masterKeyFile?: string },
  fn: (domains: DomainKeys, db: Database) => Promise<T>,
): Promise<T> {
  const { DomainKeys, loadMasterKey } = await privacy();
  const master = loadMasterKey(o.masterKeyFile ? { file: o.masterKeyFile } : {});
  const db = await openDatabase(o.db);
  try {
    const domains = new DomainKeys(db, new AuditLog(db), {
      ...(master && { master }),
      ...(process.env.LEARNPOOL_DOMAIN_BASE && { iriBase: process.env.LEARNPOOL_DOMAIN_BASE }),
    });
    return await fn(domains, db);
  } finally {
    await db.close();
  }
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);

function keysCommand(): Command {
  const keys = new Command("keys").description("the master key that seals pseudonymization keys");
  keys
    .command("master-key")
    .description("print a fresh master key (base64 of 32 random bytes): keep it apart from the database")
    .action(async () => {
      const { newMasterKeyText } = await privacy();
      process.stdout.write(`${newMasterKeyText()}\n`);
    });
  return keys;
}

function domainsCommand(): Command {
  const domains = new Command("domains").description(
    "pseudonymization domains: a provider's own, or an agreement's linkage domain",
  );
  domains
    .command("add <id>")
    .description("create a domain with a fresh key (sealed under the master key)")
    .addOption(dbOption())
    .addOption(masterKeyOption())
    .option("--members <stores>", "comma-separated stores (providers) that belong to it")
    .option("--iri <iri>", "its IRI (default: <LEARNPOOL_DOMAIN_BASE>/domains/<id>)")
    .action(async (id: string, o: { db: string; masterKeyFile?: string; members?: string; iri?: string }) => {
      await withDomains(o, async (d) =>
        print(
          await d.create(id, { members: list(o.members), actor: cliActor(), ...(o.iri && { iri: o.iri }) }),
        ),
      );
    });
  domains
    .command("list")
    .description("list the domains: IRI, key ids (never keys), members")
    .addOption(dbOption())
    .action(async (o: { db: string }) => {
      await withDomains(o, async (d) => {
        for (const info of await d.list()) print(info);
      });
    });
  domains
    .command("rotate <id>")
    .description("make a new current key; the old ones are kept for deriving by key id")
    .addOption(dbOption())
    .addOption(masterKeyOption())
    .action(async (id: string, o: { db: string; masterKeyFile?: string }) => {
      await withDomains(o, async (d) => print(await d.rotate(id, cliActor())));
    });
  domains
    .command("members <id>")
    .description("add or remove member stores")
    .addOption(dbOption())
    .option("--add <stores>", "comma-separated stores to add")
    .option("--remove <stores>", "comma-separated stores to remove")
    .action(async (id: string, o: { db: string; add?: string; remove?: string }) => {
      await withDomains(o, async (d) =>
        print(await d.setMembers(id, { add: list(o.add), remove: list(o.remove), actor: cliActor() })),
      );
    });
  return domains;
}

/** How a command names the pseudonymizer of a domain: keyed (database, master key) or OPRF (endpoint). */
export interface DomainPseudonymizerOptions {
  /** The domain's id in the key store (keyed) or at the service (OPRF). */
  domain: string;
  db: string;
  masterKeyFile?: string;
  keyId?: string;
  endpoint?: string;
  credential?: string;
}

export type DomainPseudonymizer =
  /** `key` is the domain key the pseudonymizer holds, for a caller that derives further keys from it. */
  | { mode: "keyed"; pseudonymizer: HmacPseudonymizer; key: DomainKey }
  | { mode: "OPRF"; pseudonymizer: OprfPseudonymizer };

/** Refuses OPRF mode without its credential, before any file is read. */
export function checkModeOptions(o: DomainPseudonymizerOptions): void {
  if (o.endpoint && !o.credential)
    throw new Error("--endpoint needs --credential KEY:SECRET (a member store's)");
}

/**
 * The pseudonymizer of a domain: OPRF when an endpoint is given (the service holds the key, the
 * credential is a member store's), keyed otherwise (the domain's key read from the database and
 * opened with the master key of --master-key-file or the environment; the database is closed after).
 */
export async function domainPseudonymizer(o: DomainPseudonymizerOptions): Promise<DomainPseudonymizer> {
  checkModeOptions(o);
  const { HmacPseudonymizer, HttpOprfTransport, MAX_OPRF_BATCH, OprfPseudonymizer } = await privacy();
  if (o.endpoint) {
    const credential = o.credential as string;
    const colon = credential.indexOf(":");
    if (colon < 1) throw new Error("--credential takes KEY:SECRET");
    const transport = new HttpOprfTransport(o.endpoint, {
      key: credential.slice(0, colon),
      secret: credential.slice(colon + 1),
    });
    const pseudonymizer = await OprfPseudonymizer.connect(transport, o.domain, { batchSize: MAX_OPRF_BATCH });
    return { mode: "OPRF", pseudonymizer };
  }
  const key = await withDomains(o, (d) => d.key(o.domain, o.keyId));
  return { mode: "keyed", pseudonymizer: new HmacPseudonymizer(key), key };
}

interface PseudonymizeOptions {
  domain: string;
  kind: string;
  namespace?: string;
  phoneRegion?: string;
  purpose: string;
  in: string;
  out: string;
  column?: string;
  db: string;
  masterKeyFile?: string;
  keyId?: string;
  endpoint?: string;
  credential?: string;
}

/** CSV quoting for a field that needs it. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The identifiers of the input, each with its line (1-based), and the rows for CSV output. */
function readInput(o: PseudonymizeOptions): {
  values: { line: number; raw: string }[];
  rows?: string[][];
  column?: number;
} {
  const text = readFileSync(o.in, "utf8");
  if (!o.column) {
    const lines = text.split(/\r?\n/);
    if (lines[lines.length - 1] === "") lines.pop();
    return { values: lines.map((raw, i) => ({ line: i + 1, raw })) };
  }
  const rows = parseCsv(text, { relax_column_count: true }) as string[][];
  const header = rows[0] ?? [];
  const column = header.indexOf(o.column);
  if (column < 0) throw new Error(`${o.in}: no column '${o.column}' in the header`);
  return {
    rows,
    column,
    values: rows.slice(1).map((row, i) => ({ line: i + 2, raw: row[column] ?? "" })),
  };
}

async function pseudonymize(o: PseudonymizeOptions): Promise<void> {
  checkModeOptions(o);
  const { identifierText, normalizeIdentifier, pseudonymText } = await privacy();
  const input = readInput(o);
  const rejected: string[] = [];
  const ids: (Identifier | undefined)[] = input.values.map(({ line, raw }) => {
    try {
      return normalizeIdentifier(o.kind, raw, {
        ...(o.namespace && { namespace: o.namespace }),
        ...(o.phoneRegion && { phoneRegion: o.phoneRegion }),
      });
    } catch (err) {
      rejected.push(`${o.in}:${line}: ${(err as Error).message}`);
      return undefined;
    }
  });
  const valid = ids.filter((id): id is Identifier => id !== undefined);

  const run = async (p: Pseudonymizer) => {
    const secrets = await p.derive(valid, o.purpose);
    // A rejected identifier gives an empty field: aligned with the input, never passed through.
    const out = ids.map((id) => (id ? pseudonymText(secrets.get(identifierText(id)) as Buffer) : ""));
    if (input.rows && input.column !== undefined) {
      const column = input.column;
      const rows = input.rows.map((row, i) =>
        i === 0 ? row : row.map((v, c) => (c === column ? (out[i - 1] as string) : v)),
      );
      writeFileSync(o.out, rows.map((r) => `${r.map(csvField).join(",")}\n`).join(""));
    } else writeFileSync(o.out, out.map((p) => `${p}\n`).join(""));
    return p.domain;
  };

  const { pseudonymizer, mode } = await domainPseudonymizer(o);
  const domain = await run(pseudonymizer);
  for (const line of rejected) process.stderr.write(`learnpool: rejected ${line}\n`);
  process.stderr.write(
    `learnpool: ${valid.length} pseudonyms under ${domain} (${mode}), ${rejected.length} rejected, written to ${o.out}\n`,
  );
  if (rejected.length > 0) process.exitCode = 1;
}

function pseudonymizeCommand(): Command {
  return new Command("pseudonymize")
    .description(
      "replace identifiers (one per line, or a CSV column) by pseudonyms of a domain: keyed (--db, master key) or OPRF (--endpoint)",
    )
    .requiredOption("--domain <id>", "the pseudonymization domain")
    .requiredOption("--kind <kind>", "email, ine, phone or account")
    .option("--namespace <homePage>", "for accounts: the homePage of the provider's accounts")
    .option("--phone-region <CC>", "region of national phone numbers (default FR)")
    .option("--purpose <purpose>", "what the secret is for", "pseudonym")
    .requiredOption("--in <file>", "one identifier per line, or a CSV file with --column")
    .requiredOption(
      "--out <file>",
      "the pseudonyms, aligned with the input (or the CSV with the column replaced)",
    )
    .option("--column <name>", "the CSV column holding the identifiers")
    .addOption(dbOption())
    .addOption(masterKeyOption())
    .option("--key-id <id>", "keyed mode: a retired key, to re-derive old pseudonyms")
    .option("--endpoint <url>", "OPRF mode: the Learnpool server, e.g. http://host:8080")
    .option("--credential <KEY:SECRET>", "OPRF mode: a credential of a member store")
    .action(pseudonymize);
}

export function privacyCommands(): Command[] {
  return [keysCommand(), domainsCommand(), pseudonymizeCommand()];
}
