import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { catalogCommands } from "../../src/cli/catalog.js";
import { Lrs } from "../../src/lrs/index.js";
import { openDatabase } from "../../src/store/index.js";
import { offerFixture, seedStore } from "./fixtures/catalog/helpers.js";

const dir = `/tmp/learnpool-catalog-cli-${process.pid}`;
const db = `${dir}/learnpool.db`;
const fixtures = new URL("./fixtures/catalog/", import.meta.url).pathname;

/** Runs `learnpool catalog <args>` in process; returns what it printed and the exit code it set. */
async function run(...args: string[]): Promise<{ out: string; err: string; code: number }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  process.exitCode = 0;
  try {
    const [catalog] = catalogCommands();
    await catalog!.exitOverride().parseAsync(["node", "catalog", ...args, "--db", db]);
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, err, code };
}

describe("learnpool catalog (command line)", () => {
  beforeAll(async () => {
    mkdirSync(dir, { recursive: true });
    const database = await openDatabase(db);
    const lrs = new Lrs(database, { authorityHomePage: "http://lrs.test" });
    await seedStore(lrs, "s1");
    await lrs.close();
    await database.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("publishes, searches, shows and withdraws", async () => {
    const published = await run(
      "publish",
      "--store",
      "s1",
      "--describe",
      `${fixtures}describe.yaml`,
      "--offer",
      `${fixtures}offer-research.jsonld`,
    );
    expect(published.code).toBe(0);
    const entry = JSON.parse(published.out);
    expect(entry.statistics).toMatchObject({ statements: 4, learners: 3 });

    const found = await run("search", "--purpose", "dpv:AcademicResearch");
    expect(found.out).toContain(
      `${entry.dataset}  v1  s1  First-year mathematics MOOC, 2024 cohort  (4 statements, 3 learners, 2024-01-10..2024-03-05)  [permitted]`,
    );
    expect(found.err).toBe("1 found\n");
    expect((await run("search", "--purpose", "dpv:Marketing")).err).toBe("0 found\n");

    const dcat = JSON.parse((await run("show", entry.dataset, "--dcat")).out);
    expect(dcat).toMatchObject({
      "@type": "Dataset",
      "@id": entry.dataset,
      hasPolicy: [{ "@type": "Offer" }],
    });

    expect((await run("withdraw", entry.dataset, "--reason", "closed")).out).toBe(
      `withdrawn ${entry.dataset} (version 1)\n`,
    );
    expect((await run("search")).err).toBe("0 found\n");
    expect(JSON.parse((await run("show", entry.dataset)).out).withdrawn.reason).toBe("closed");
  });

  it("prints why an offer is refused and exits 1", async () => {
    const bad = `${dir}/bad-offer.jsonld`;
    writeFileSync(
      bad,
      JSON.stringify(offerFixture("offer-research.jsonld", "urn:learnpool:offer:cli", "urn:x:someone")),
    );
    const res = await run(
      "publish",
      "--store",
      "s1",
      "--describe",
      `${fixtures}describe.yaml`,
      "--offer",
      bad,
    );
    expect(res.code).toBe(1);
    expect(res.err).toContain(
      "its assigner is urn:x:someone, but the publishing provider is urn:learnpool:participant:s1",
    );
  });
});
