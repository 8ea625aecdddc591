/**
 * `learnpool deidentify` under a pseudonymization domain, run as the installed command (`npm run
 * build` first): keyed mode with the domain's key from a SQLite key store gives the pseudonyms of
 * `learnpool pseudonymize`; OPRF mode against a real server gives two member providers, with different
 * local ids and their own local keys, the same pseudonymous accounts and time shifts for a learner.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import { Lrs } from "../../src/lrs/index.js";
import { DomainKeys } from "../../src/privacy/domains.js";
import { newMasterKeyText } from "../../src/privacy/keys.js";
import { OprfService } from "../../src/privacy/oprf.js";
import { buildServer } from "../../src/server/index.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { cliBuilt, runCli } from "../helpers/cli.js";

const PROFILE = new URL("fixtures/deidentify/research.yaml", import.meta.url).pathname;
/** The `domain` of research.yaml. */
const PROFILE_IRI = "https://pool.learnpool.example/domains/agreement-42";
const SESSION = "https://example.org/xapi/extensions/session";

const dir = mkdtempSync(join(tmpdir(), "learnpool-deidentify-domains-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

/** A provider's statements: each learner by e-mail, with the provider's local id in a re-keyed extension. */
function statements(learners: { local: string; email: string; name: string }[], idPrefix: string) {
  return learners.map((l, i) => ({
    id: `${idPrefix}-0000-4000-8000-00000000000${i}`,
    actor: { objectType: "Agent", name: l.name, mbox: `mailto:${l.email}` },
    verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
    object: { objectType: "Activity", id: "https://courses.example.org/unit/1" },
    timestamp: "2024-03-01T10:00:00.000Z",
    context: { extensions: { [SESSION]: `session-of-${l.local}` } },
  }));
}

/** What the tests read of a de-identified statement. */
interface Written {
  id: string;
  timestamp: string;
  actor: { account: { homePage: string; name: string } };
  context: { extensions: Record<string, unknown> };
}

const jsonLines = (values: unknown[]) => values.map((v) => `${JSON.stringify(v)}\n`).join("");
const readLines = (path: string) =>
  readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Written);

const deidentifyArgs = (name: string, input: string) => [
  "deidentify",
  "--profile",
  PROFILE,
  "--in",
  input,
  "--out",
  join(dir, `${name}.out.jsonl`),
  "--report",
  join(dir, `${name}.report.json`),
];

const LEARNERS = [
  { local: "u-1001", email: "ada.lovelace@example.org", name: "Ada Lovelace" },
  { local: "u-1002", email: "grace.hopper@example.org", name: "Grace Hopper" },
  { local: "u-1003", email: "alan.turing@example.org", name: "Alan Turing" },
];

describe.skipIf(!cliBuilt)("learnpool deidentify, keyed with a domain of the key store (SQLite)", () => {
  const dbPath = join(dir, "keys.db");
  const masterKeyFile = write("master.key", `${newMasterKeyText()}\n`);
  const keyed = ["--db", dbPath, "--master-key-file", masterKeyFile];

  beforeAll(async () => {
    const master = Buffer.from(readFileSync(masterKeyFile, "utf8").trim(), "base64");
    const db = await openDatabase(dbPath);
    try {
      const domains = new DomainKeys(db, new AuditLog(db), { master });
      await domains.create("agreement-42", { iri: PROFILE_IRI, actor: "test" });
      await domains.create("elsewhere", { iri: "https://other.example/domains/elsewhere", actor: "test" });
    } finally {
      await db.close();
    }
  });

  it("gives the pseudonymous accounts `learnpool pseudonymize` gives (purpose pseudonym), and records the key id", async () => {
    const input = write("keyed.jsonl", jsonLines(statements(LEARNERS, "0f8f6f2e")));
    const run = await runCli([...deidentifyArgs("keyed", input), "--domain", "agreement-42", ...keyed]);
    expect(run.stderr).toContain("(keyed, domain agreement-42 key k1): read 3 statements, wrote 3");
    expect(run.stderr).toMatch(/leak check: \d+ identifiers of the input searched in the output, 0 found/);
    expect(run.code).toBe(0);

    const emails = write("emails.txt", LEARNERS.map((l) => `${l.email}\n`).join(""));
    const pseudonyms = join(dir, "pseudonyms.txt");
    const p = await runCli([
      "pseudonymize",
      "--domain",
      "agreement-42",
      "--kind",
      "email",
      "--in",
      emails,
      "--out",
      pseudonyms,
      ...keyed,
    ]);
    expect(p.code).toBe(0);
    const expected = readFileSync(pseudonyms, "utf8").trim().split("\n");
    const out = readLines(join(dir, "keyed.out.jsonl"));
    expect(out.map((s) => s.actor.account)).toEqual(
      expected.map((name) => ({ homePage: PROFILE_IRI, name })),
    );
    expect(new Set(expected).size).toBe(3);

    const report = JSON.parse(readFileSync(join(dir, "keyed.report.json"), "utf8"));
    expect(report.pseudonymization).toEqual({ mode: "keyed", domainId: "agreement-42", keyId: "k1" });
    expect(readFileSync(join(dir, "keyed.report.json"), "utf8")).not.toMatch(
      /@|lovelace|hopper|turing|u-100/i,
    );
  });

  it("after rotation: --key-id k1 re-derives the old pseudonyms, the current key gives others; --key-file keys the ids", async () => {
    const master = Buffer.from(readFileSync(masterKeyFile, "utf8").trim(), "base64");
    const db = await openDatabase(dbPath);
    try {
      await new DomainKeys(db, new AuditLog(db), { master }).rotate("agreement-42", "test");
    } finally {
      await db.close();
    }
    const input = write("rotated.jsonl", jsonLines(statements(LEARNERS, "0f8f6f2e")));
    const localKey = write("local.key", randomBytes(32).toString("base64"));
    const [old, current] = await Promise.all([
      runCli([
        ...deidentifyArgs("old", input),
        "--domain",
        "agreement-42",
        "--key-id",
        "k1",
        "--key-file",
        localKey,
        ...keyed,
      ]),
      runCli([...deidentifyArgs("current", input), "--domain", "agreement-42", ...keyed]),
    ]);
    expect(old.stderr).toContain("(keyed, domain agreement-42 key k1)");
    expect(current.stderr).toContain("(keyed, domain agreement-42 key k2)");
    expect([old.code, current.code]).toEqual([0, 0]);
    const [first, o, c] = ["keyed", "old", "current"].map((n) => readLines(join(dir, `${n}.out.jsonl`))) as [
      Written[],
      Written[],
      Written[],
    ];
    for (const i of [0, 1, 2]) {
      expect(o[i]?.actor.account.name).toBe(first[i]?.actor.account.name);
      expect(c[i]?.actor.account.name).not.toBe(first[i]?.actor.account.name);
      // Same key k1, but the ids and re-keyed values come from the given local key.
      expect(o[i]?.id).not.toBe(first[i]?.id);
      expect(o[i]?.context.extensions[SESSION]).not.toBe(first[i]?.context.extensions[SESSION]);
    }
  });

  it("refuses a domain whose IRI is not the profile's, an IRI given as --domain, and a wrong master key", async () => {
    const input = write("refused.jsonl", jsonLines(statements(LEARNERS, "0f8f6f2e")));
    const other = await runCli([...deidentifyArgs("refused", input), "--domain", "elsewhere", ...keyed]);
    expect(other.code).not.toBe(0);
    expect(other.stderr).toContain(
      `domain 'elsewhere' has the IRI https://other.example/domains/elsewhere, but profile research-generic is for ${PROFILE_IRI}`,
    );
    const iri = await runCli([...deidentifyArgs("refused", input), "--domain", PROFILE_IRI, ...keyed]);
    expect(iri.code).not.toBe(0);
    expect(iri.stderr).toContain("--domain takes the id of a pseudonymization domain");
    const wrong = write("wrong-master.key", `${newMasterKeyText()}\n`);
    const master = await runCli([
      ...deidentifyArgs("refused", input),
      "--domain",
      "agreement-42",
      "--db",
      dbPath,
      "--master-key-file",
      wrong,
    ]);
    expect(master.code).not.toBe(0);
    expect(master.stderr).toContain("cannot decrypt domain keys");
    expect(master.stderr).not.toContain(readFileSync(wrong, "utf8").trim());
  });
});

describe.skipIf(!cliBuilt)("learnpool deidentify, OPRF through a real server", () => {
  let db: Database;
  let lrs: Lrs;
  let app: FastifyInstance;
  let endpoint: string;
  const credential: Record<string, string> = {};

  beforeAll(async () => {
    db = await openDatabase(":memory:");
    lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
    for (const store of ["p1", "p2", "p3"]) {
      await lrs.tenancy.createStore(store, store, "test");
      const made = await lrs.tenancy.addCredential({ storeId: store, actor: "test" });
      credential[store] = `${made.key}:${made.secret}`;
    }
    const domains = new DomainKeys(db, lrs.audit, { master: randomBytes(32) });
    await domains.create("agreement-42", { iri: PROFILE_IRI, members: ["p1", "p2"], actor: "test" });
    app = await buildServer({ lrs, privacy: new OprfService(domains, lrs.audit), logger: false });
    await app.listen({ port: 0, host: "127.0.0.1" });
    const address = app.server.address();
    endpoint = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await app.close();
    await lrs.close();
    await db.close();
  });

  const oprf = (store: string, keyFile: string) => [
    "--domain",
    "agreement-42",
    "--endpoint",
    endpoint,
    "--credential",
    credential[store] as string,
    "--key-file",
    keyFile,
  ];

  it("gives the same learner the same pseudonymous account and time shift at two providers; nothing leaks", async () => {
    // Ada and Alan are at both providers, under other local ids (and an e-mail written otherwise).
    const atP1 = LEARNERS;
    const atP2 = [
      { local: "77", email: "Ada.Lovelace@Example.ORG", name: "A. Lovelace" },
      { local: "78", email: "dan@example.org", name: "Dan Brown" },
      { local: "79", email: "alan.turing@example.org", name: "Alan M. Turing" },
    ];
    // The same source statement ids at both, to show that re-derived ids come from each one's own key.
    const in1 = write("p1.jsonl", jsonLines(statements(atP1, "0f8f6f2e")));
    const in2 = write("p2.jsonl", jsonLines(statements(atP2, "0f8f6f2e")));
    const key1 = write("p1.key", randomBytes(32).toString("base64"));
    const key2 = write("p2.key", randomBytes(32).toString("base64"));
    const [r1, r2] = await Promise.all([
      runCli([...deidentifyArgs("p1", in1), ...oprf("p1", key1)]),
      runCli([...deidentifyArgs("p2", in2), ...oprf("p2", key2)]),
    ]);
    for (const r of [r1, r2]) {
      expect(r.stderr).toContain(
        "(OPRF, domain agreement-42 key k1): read 3 statements, wrote 3, rejected 0",
      );
      expect(r.stderr).toMatch(/leak check: \d+ identifiers of the input searched in the output, 0 found/);
      expect(r.code).toBe(0);
    }
    const [o1, o2] = [readLines(join(dir, "p1.out.jsonl")), readLines(join(dir, "p2.out.jsonl"))];
    for (const s of [...o1, ...o2]) expect(s.actor.account.homePage).toBe(PROFILE_IRI);
    const name = (s: Written) => s.actor.account.name;
    // Ada (0 ↔ 0) and Alan (2 ↔ 2): same pseudonym, same shifted time; Grace and Dan apart from all.
    for (const i of [0, 2]) {
      expect(name(o1[i]!)).toBe(name(o2[i]!));
      expect(o1[i]!.timestamp).toBe(o2[i]!.timestamp);
      expect(o1[i]!.timestamp).not.toBe("2024-03-01T10:00:00.000Z");
    }
    expect(new Set([...o1, ...o2].map(name)).size).toBe(4);
    // Provider-local secrets: one source id gives two unrelated ids, one local value two re-keyed ones.
    expect(o1[0]!.id).not.toBe(o2[0]!.id);
    expect(o1[0]!.context.extensions[SESSION]).not.toBe(o2[0]!.context.extensions[SESSION]);
    for (const [file, local] of [
      ["p1", "u-100"],
      ["p2", "session-of-7"],
    ] as const) {
      const text = readFileSync(join(dir, `${file}.out.jsonl`), "utf8");
      expect(text).not.toMatch(/lovelace|turing|hopper|@/i);
      expect(text).not.toContain(local);
      const report = JSON.parse(readFileSync(join(dir, `${file}.report.json`), "utf8"));
      expect(report.leakCheck.found).toBe(0);
      expect(report.pseudonymization).toEqual({ mode: "OPRF", domainId: "agreement-42", keyId: "k1" });
    }
  });

  it("needs --key-file in OPRF mode; refuses a store that is not a member, without echoing the credential", async () => {
    const input = write("p3.jsonl", jsonLines(statements(LEARNERS, "0f8f6f2e")));
    const noKey = await runCli([
      ...deidentifyArgs("p3", input),
      ...oprf("p1", "unused").slice(0, -2), // no --key-file
    ]);
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toContain("OPRF mode needs --key-file");
    const key3 = write("p3.key", randomBytes(32).toString("base64"));
    const outsider = await runCli([...deidentifyArgs("p3", input), ...oprf("p3", key3)]);
    expect(outsider.code).not.toBe(0);
    expect(outsider.stderr).toContain("store 'p3' is not a member of domain 'agreement-42'");
    expect(outsider.stderr).not.toContain((credential.p3 as string).split(":")[1]);
  });
});
