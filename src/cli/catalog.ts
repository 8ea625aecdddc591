/**
 * `learnpool catalog …`: command-line wiring of the catalog (contract). `publish` reads a description
 * (YAML or JSON) and an offer (ODRL JSON-LD) and publishes them for a store; `search`, `show`,
 * `withdraw` and `refresh` do what their names say. The command line acts as the operator (it holds
 * the database): it sees every entry unless `--as <store>` asks as that participant.
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";
import { parse as parseYaml } from "yaml";
import { AuditLog } from "../audit/index.js";
import {
  type Actor,
  Catalog,
  type CatalogEntry,
  CatalogError,
  type CatalogQuery,
  datasetDocument,
} from "../contract/index.js";
import { type Database, openDatabase } from "../store/index.js";
import { cliActor, dbOption, printJson } from "./common.js";

function readDocument(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CatalogError(400, `cannot read the ${what} ${path}: ${(err as Error).message}`);
  }
  try {
    return /\.ya?ml$/i.test(path) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new CatalogError(
      400,
      `the ${what} ${path} is not ${/\.ya?ml$/i.test(path) ? "YAML" : "JSON"}: ${(err as Error).message}`,
    );
  }
}

/** Opens the database, runs, closes; a catalog refusal prints its problems and exits 1. */
async function withCatalog(db: string, fn: (catalog: Catalog) => Promise<void>): Promise<void> {
  let database: Database | undefined;
  try {
    database = await openDatabase(db);
    await fn(new Catalog(database, new AuditLog(database)));
  } catch (err) {
    if (!(err instanceof CatalogError)) throw err;
    process.stderr.write(`learnpool catalog: ${err.message}\n`);
    for (const p of err.problems) process.stderr.write(`  - ${p}\n`);
    process.exitCode = 1;
  } finally {
    await database?.close();
  }
}

const viewer = (as: string | undefined): Actor => ({ actor: cliActor(), ...(as ? { storeId: as } : {}) });

function line(e: CatalogEntry & { purposeFit?: { fit: string; conditions?: string[] } }): string {
  const s = e.statistics;
  const span = s.temporal
    ? `${s.temporal.start.slice(0, 10)}..${s.temporal.end.slice(0, 10)}`
    : "no statements";
  const fit = e.purposeFit
    ? `  [${e.purposeFit.fit}${e.purposeFit.conditions?.length ? `: ${e.purposeFit.conditions.join("; ")}` : ""}]`
    : "";
  return `${e.dataset}  v${e.version}  ${e.provider}  ${e.description.title}  (${s.statements} statements, ${s.learners} learners, ${span})${fit}`;
}

export function catalogCommands(): Command[] {
  const catalog = new Command("catalog").description(
    "the catalog of dataset offers (DCAT description + ODRL offer)",
  );

  catalog
    .command("publish")
    .description("publish a dataset offer for a store (or a new version of one with --dataset)")
    .addOption(dbOption())
    .requiredOption("--store <id>", "the provider's store: its statements are described")
    .requiredOption(
      "--describe <file>",
      "the description: YAML or JSON (title, description, themes, keywords, dataCategories, formats)",
    )
    .requiredOption("--offer <file>", "the ODRL Offer, JSON-LD")
    .option("--access-policy <file>", "an ODRL Set deciding who may see the entry (JSON-LD)")
    .option("--dataset <id>", "publish a new version of this dataset")
    .action(
      async (o: {
        db: string;
        store: string;
        describe: string;
        offer: string;
        accessPolicy?: string;
        dataset?: string;
      }) =>
        withCatalog(o.db, async (c) => {
          const entry = await c.publish(
            {
              storeId: o.store,
              description: readDocument(o.describe, "description"),
              offer: readDocument(o.offer, "offer"),
              ...(o.accessPolicy ? { accessPolicy: readDocument(o.accessPolicy, "access policy") } : {}),
              ...(o.dataset ? { dataset: o.dataset } : {}),
            },
            { actor: cliActor() },
          );
          printJson(entry);
        }),
    );

  catalog
    .command("search")
    .description("search the current entries; one line each, or --json")
    .addOption(dbOption())
    .option("--q <text>", "free text over title, description and keywords")
    .option("--theme <theme>", "a dcat:theme")
    .option("--verb <iri>", "an xAPI verb present")
    .option("--profile <iri>", "an xAPI profile present (context category)")
    .option("--category <term>", "a DPV personal-data category (e.g. pd:EducationExperience)")
    .option("--format <format>", "a distribution format (xapi+json, jsonl, parquet, csv)")
    .option("--provider <store>", "the providing store")
    .option("--purpose <purpose>", "a DPV purpose the offer must permit (e.g. dpv:AcademicResearch)")
    .option("--from <date>", "statements' time span overlaps from this date")
    .option("--to <date>", "statements' time span overlaps up to this date")
    .option("--as <store>", "search as this participant (its access policies and party apply)")
    .option("--limit <n>", "page size", "20")
    .option("--offset <n>", "first result", "0")
    .option("--json", "print the page as JSON")
    .action(
      async (o: CatalogQuery & { db: string; as?: string; limit: string; offset: string; json?: boolean }) =>
        withCatalog(o.db, async (c) => {
          const { db: _db, as, json, limit, offset, ...filters } = o;
          const page = await c.search(
            { ...filters, limit: Number(limit), offset: Number(offset) },
            viewer(as),
          );
          if (json) return printJson(page);
          for (const e of page.items) process.stdout.write(`${line(e)}\n`);
          process.stderr.write(
            `${page.total} found${page.next !== undefined ? `; next page: --offset ${page.next}` : ""}\n`,
          );
        }),
    );

  catalog
    .command("show <id>")
    .description("print one entry (its newest version, or --version)")
    .addOption(dbOption())
    .option("--version <n>", "a given version")
    .option("--as <store>", "read as this participant")
    .option("--dcat", "print the Dataspace Protocol dcat:Dataset instead")
    .option("--base-url <url>", "the Dataspace Protocol endpoint named in --dcat", "http://localhost:8080")
    .action(
      async (id: string, o: { db: string; version?: string; as?: string; dcat?: boolean; baseUrl: string }) =>
        withCatalog(o.db, async (c) => {
          const entry = await c.read(
            id,
            viewer(o.as),
            o.version === undefined ? undefined : Number(o.version),
          );
          printJson(
            o.dcat
              ? datasetDocument(entry, { id: `${o.baseUrl}/catalog#dsp`, endpointURL: o.baseUrl })
              : entry,
          );
        }),
    );

  catalog
    .command("withdraw <id>")
    .description("withdraw a dataset: it leaves search and the DSP catalog, and stays readable by id")
    .addOption(dbOption())
    .option("--reason <text>", "why", "withdrawn by the provider")
    .action(async (id: string, o: { db: string; reason: string }) =>
      withCatalog(o.db, async (c) => {
        const entry = await c.withdraw(id, o.reason, { actor: cliActor() });
        process.stdout.write(`withdrawn ${entry.dataset} (version ${entry.version})\n`);
      }),
    );

  catalog
    .command("refresh <id>")
    .description("derive the statistics again from the store and publish them as a new version")
    .addOption(dbOption())
    .action(async (id: string, o: { db: string }) =>
      withCatalog(o.db, async (c) => {
        printJson(await c.refresh(id, { actor: cliActor() }));
      }),
    );

  return [catalog];
}
