/**
 * The `learnpool` command: wiring of the modules for the command line, nothing more.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Command, Option } from "commander";
import { AuditLog } from "../audit/index.js";
import { Lrs, LrsError } from "../lrs/index.js";
import { type Database, openDatabase, redact } from "../store/index.js";
import { agreementCommands } from "./agreements.js";
import { anonymizeCommands } from "./anonymize.js";
import { catalogCommands } from "./catalog.js";
import { cliActor, dbOption } from "./common.js";
import { consentCommands } from "./consent.js";
import { datasetCommands } from "./dataset.js";
import { deidentifyCommands } from "./deidentify.js";
import { type DemoCliOptions, runDemoCommand, withDemoOptions } from "./demo.js";
import { dpCommands } from "./dp.js";
import { dspCommands } from "./dsp.js";
import { enforcementCommands } from "./enforcement.js";
import { interopCommands } from "./interop.js";
import { linkageCommands } from "./linkage.js";
import { odrlCommands } from "./odrl.js";
import { privacyCommands } from "./privacy.js";
import { riskCommands } from "./risk.js";
import { registerSkillsCommands } from "./skills.js";
import { trainCommands } from "./train.js";

const env = process.env;

async function withDb<T>(location: string, fn: (db: Database) => Promise<T>): Promise<T> {
  const db = await openDatabase(location);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

function lrsFor(db: Database, publicUrl = "http://localhost:8080"): Lrs {
  return new Lrs(db, { authorityHomePage: publicUrl });
}

interface ServeOptions {
  db: string;
  port: string;
  host: string;
  credential: string[];
  store: string;
  publicUrl?: string;
  logLevel: string;
  bodyLimit: string;
}

/** Starts the server and returns once it listens; SIGINT/SIGTERM close it gracefully. */
async function serve(
  options: ServeOptions,
  onListening?: (url: string, endpoint: string, lrs: Lrs) => Promise<void>,
): Promise<void> {
  const db = await openDatabase(options.db);
  const port = Number(options.port);
  const publicUrl =
    options.publicUrl ?? `http://${options.host === "0.0.0.0" ? "localhost" : options.host}:${port}`;
  const lrs = lrsFor(db, publicUrl);
  for (const pair of options.credential) {
    const colon = pair.indexOf(":");
    if (colon < 1) throw new LrsError(400, "--credential takes KEY:SECRET");
    await lrs.tenancy.ensureStore(options.store, options.store, cliActor());
    await lrs.tenancy.ensureCredential({
      storeId: options.store,
      key: pair.slice(0, colon),
      secret: pair.slice(colon + 1),
      actor: cliActor(),
    });
  }
  // The HTTP stack (Fastify, Swagger UI) loads only for the commands that serve.
  const { buildServer, XAPI_BASE } = await import("../server/index.js");
  const app = await buildServer({
    lrs,
    logger: options.logLevel === "silent" ? false : { level: options.logLevel },
    bodyLimit: Number(options.bodyLimit),
  });
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, "shutting down: finishing requests in flight");
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await app.close();
    await lrs.close();
    await db.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  await app.listen({ port, host: options.host });
  app.log.info({ db: db.location.startsWith("postgres") ? redact(db.location) : db.location }, "database");
  const address = app.server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  const url = `http://${options.host === "0.0.0.0" ? "localhost" : options.host}:${actualPort}`;
  if (onListening) await onListening(url, `${url}${XAPI_BASE}`, lrs);
  else {
    // On stderr: stdout carries the JSON log lines only.
    process.stderr.write(`learnpool: xAPI LRS at ${url}${XAPI_BASE}  (API docs at ${url}/docs)\n`);
  }
}

function serveCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .addOption(dbOption())
    .addOption(new Option("--port <n>", "port").env("LEARNPOOL_PORT").default("8080"))
    .addOption(new Option("--host <h>", "interface to listen on").env("LEARNPOOL_HOST").default("127.0.0.1"))
    .addOption(new Option("--store <id>", "the store --credential adds credentials to").default("default"))
    .addOption(
      new Option("--public-url <url>", "the URL clients use (for authority agents)").env(
        "LEARNPOOL_PUBLIC_URL",
      ),
    )
    .addOption(
      new Option("--log-level <level>", "info, warn, error, debug or silent")
        .env("LEARNPOOL_LOG_LEVEL")
        .default("info"),
    )
    .addOption(
      new Option("--body-limit <bytes>", "largest request body")
        .env("LEARNPOOL_BODY_LIMIT")
        .default(String(64 * 1024 * 1024)),
    )
    .option(
      "--credential <KEY:SECRET>",
      "add a basic-auth credential with every xAPI scope to the store (repeatable)",
      (value: string, previous: string[]) => [...previous, value],
      (env.LEARNPOOL_CREDENTIALS ?? "").split(",").filter(Boolean),
    );
}

export function program(): Command {
  const root = new Command("learnpool")
    .description("Learnpool: pool learning data to train AI, with consent, contracts and privacy")
    .showHelpAfterError();

  root.addCommand(
    serveCommand("serve", "serve the xAPI LRS and the API").action(async (options: ServeOptions) => {
      await serve(options);
    }),
  );

  // `start` is the main job: the demonstration with its defaults (`npm start`); `demo` takes its options.
  for (const [name, description] of [
    [
      "demo",
      "make the demonstration data space in --dir through every module (providers, consent, agreement, dataset, training), then serve it",
    ],
    ["start", "the main job: the demonstration data space in ./data, then serve it (same as demo)"],
  ] as const)
    root.addCommand(
      withDemoOptions(serveCommand(name, description)).action(
        async (options: ServeOptions & DemoCliOptions, command: Command) => {
          await runDemoCommand(
            options,
            command,
            (db, onListening) =>
              serve(
                { ...options, db, logLevel: options.logLevel === "info" ? "warn" : options.logLevel },
                onListening as (url: string, endpoint: string, lrs: Lrs) => Promise<void>,
              ),
            async (url, endpoint, lrs, db) => {
              const credential = await startCredential(lrs as Lrs, db);
              return [
                `  xAPI LRS endpoint : ${endpoint}`,
                `  credential        : ${credential.key}:${credential.secret}   (store '${credential.storeId}', every xAPI scope)`,
                `  API docs          : ${url}/docs`,
                `  catalog           : ${url}/contract/catalog   (Dataspace Protocol: ${url}/catalog/request, ${url}/dsp)`,
                `  agreements        : ${url}/contract/agreements`,
                `  consent           : ${url}/consent   (registry keys: ${url}/consent/jwks.json)`,
                `  datasets          : ${url}/datasets/versions   (builds: POST ${url}/datasets/builds; CLI: learnpool dataset build spec.yaml)`,
                `  training jobs     : ${url}/train/jobs   (CLI: learnpool train job.yaml)`,
                `  database          : ${db.includes("://") ? redact(db) : db}`,
                "",
                "Try it:",
                `  curl -u '${credential.key}:${credential.secret}' -H 'X-Experience-API-Version: 2.0.0' '${endpoint}/statements?limit=5'`,
              ];
            },
          );
        },
      ),
    );

  const stores = new Command("stores").description("the LRS's stores: one per provider");
  stores
    .command("add <id>")
    .description("create a store")
    .addOption(dbOption())
    .option("--title <title>", "a readable name")
    .action(async (id: string, o: { db: string; title?: string }) => {
      await withDb(o.db, async (db) => {
        const store = await lrsFor(db).tenancy.createStore(id, o.title ?? id, cliActor());
        process.stdout.write(`${JSON.stringify(store)}\n`);
      });
    });
  stores
    .command("list")
    .description("list the stores")
    .addOption(dbOption())
    .action(async (o: { db: string }) => {
      await withDb(o.db, async (db) => {
        for (const store of await lrsFor(db).tenancy.listStores())
          process.stdout.write(`${JSON.stringify(store)}\n`);
      });
    });
  root.addCommand(stores);

  const credentials = new Command("credentials").description("credentials of the LRS (stored hashed)");
  credentials
    .command("add")
    .description("add a credential to a store; prints its key and secret once")
    .addOption(dbOption())
    .requiredOption("--store <id>", "the store it belongs to")
    .option("--scopes <list>", "comma-separated xAPI scopes", "all")
    .option("--label <text>", "what it is for")
    .option("--key <key>", "a key of your choice (default: random)")
    .option("--secret <secret>", "a secret of your choice (default: random)")
    .action(
      async (o: {
        db: string;
        store: string;
        scopes: string;
        label?: string;
        key?: string;
        secret?: string;
      }) => {
        await withDb(o.db, async (db) => {
          const made = await lrsFor(db).tenancy.addCredential({
            storeId: o.store,
            scopes: o.scopes.split(",").map((s) => s.trim()),
            ...(o.label !== undefined && { label: o.label }),
            ...(o.key !== undefined && { key: o.key }),
            ...(o.secret !== undefined && { secret: o.secret }),
            actor: cliActor(),
          });
          process.stdout.write(
            `${JSON.stringify({ key: made.key, secret: made.secret, store: o.store, scopes: made.info.scopes })}\n`,
          );
        });
      },
    );
  credentials
    .command("list")
    .description("list credentials (never their secrets)")
    .addOption(dbOption())
    .option("--store <id>", "only this store's")
    .action(async (o: { db: string; store?: string }) => {
      await withDb(o.db, async (db) => {
        for (const c of await lrsFor(db).tenancy.listCredentials(o.store))
          process.stdout.write(`${JSON.stringify(c)}\n`);
      });
    });
  credentials
    .command("revoke <key>")
    .description("revoke a credential")
    .addOption(dbOption())
    .action(async (key: string, o: { db: string }) => {
      await withDb(o.db, async (db) => {
        await lrsFor(db).tenancy.revokeCredential(key, cliActor());
        process.stdout.write(`revoked ${key}\n`);
      });
    });
  root.addCommand(credentials);

  const audit = new Command("audit").description("the hash-chained audit trail");
  audit
    .command("verify")
    .description("recompute the chain; exit 1 if any event was edited, removed or reordered")
    .addOption(dbOption())
    .action(async (o: { db: string }) => {
      await withDb(o.db, async (db) => {
        const result = await new AuditLog(db).verify();
        if (result.ok)
          process.stdout.write(`audit trail intact: ${result.events} events, head ${result.head}\n`);
        else {
          process.stdout.write(`audit trail BROKEN at event ${result.brokenAt}: ${result.reason}\n`);
          process.exitCode = 1;
        }
      });
    });
  audit
    .command("list")
    .description("print the events as JSON lines")
    .addOption(dbOption())
    .option("--after <seq>", "only events after this one", "0")
    .action(async (o: { db: string; after: string }) => {
      await withDb(o.db, async (db) => {
        for (const e of await new AuditLog(db).list({ after: Number(o.after), limit: 1_000_000 })) {
          process.stdout.write(`${JSON.stringify(e)}\n`);
        }
      });
    });
  root.addCommand(audit);

  for (const command of interopCommands()) root.addCommand(command);
  for (const command of privacyCommands()) root.addCommand(command);
  for (const command of deidentifyCommands()) root.addCommand(command);
  for (const command of linkageCommands()) root.addCommand(command);
  for (const command of anonymizeCommands()) root.addCommand(command);
  for (const command of riskCommands()) root.addCommand(command);
  for (const command of dpCommands()) root.addCommand(command);
  for (const command of odrlCommands()) root.addCommand(command);
  for (const command of catalogCommands()) root.addCommand(command);
  for (const command of agreementCommands()) root.addCommand(command);
  for (const command of enforcementCommands()) root.addCommand(command);
  for (const command of dspCommands()) root.addCommand(command);
  for (const command of consentCommands()) root.addCommand(command);
  for (const command of datasetCommands()) root.addCommand(command);
  for (const command of trainCommands()) root.addCommand(command);
  registerSkillsCommands(root);
  root.addCommand(
    new Command("migrate")
      .description("bring the database schema up to date")
      .addOption(dbOption())
      .action(async (o: { db: string }) => {
        await withDb(o.db, async () => {
          process.stdout.write("schema up to date\n");
        });
      }),
  );
  return root;
}

/**
 * The credential `learnpool start` prints: made once, kept beside the embedded database (readable
 * by its owner only) so that every start shows the same one.
 */
async function startCredential(lrs: Lrs, location: string) {
  const file =
    location.includes("://") || location === ":memory:"
      ? undefined
      : join(dirname(location), "start-credential.json");
  if (file && existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, "utf8")) as { key: string; secret: string; storeId: string };
    if (await lrs.tenancy.authenticate(saved.key, saved.secret)) return saved;
  }
  await lrs.tenancy.ensureStore("default", "Default store", "system:start");
  const made = await lrs.tenancy.addCredential({
    storeId: "default",
    label: "npm start",
    actor: "system:start",
  });
  const saved = { key: made.key, secret: made.secret, storeId: "default" };
  if (file) {
    writeFileSync(file, `${JSON.stringify(saved)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return saved;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (err) {
    const message = err instanceof LrsError || err instanceof Error ? err.message : String(err);
    process.stderr.write(`learnpool: ${message}\n`);
    process.exitCode = process.exitCode || 2;
  }
}
