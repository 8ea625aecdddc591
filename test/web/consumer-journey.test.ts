/**
 * In Chromium: the research lab signs in with its credential, searches the catalog, reads its
 * agreement in plain words beside the ODRL and verifies the signatures, opens a dataset version (card,
 * Croissant, risk chart, lineage check), submits a training job and sees the pictures the release gate
 * let out. The data space is the training jobs' test world (real builds, consent, agreements, jobs).
 */
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import type { Browser, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Catalog, registeredParticipants } from "../../src/contract/catalog/index.js";
import { signAgreement } from "../../src/contract/index.js";
import { registerAgreementRoutes } from "../../src/server/agreements.js";
import { registerAuditRoutes } from "../../src/server/audit.js";
import { registerCatalogRoutes } from "../../src/server/catalog.js";
import { consentServices, registerConsentRoutes } from "../../src/server/consent.js";
import { datasetServices, registerDatasetRoutes } from "../../src/server/datasets.js";
import { registerTrainRoutes, trainServices } from "../../src/server/train.js";
import { consoleUrl, registerConsole } from "../../src/web/index.js";
import { draft, MASTER_KEY } from "../consent/setup.js";
import { describeFixture, offerFixture } from "../contract/fixtures/catalog/helpers.js";
import { sqliteBackend } from "../helpers/databases.js";
import { TS_LOADER } from "../train/fixtures/jobs/jobs.js";
import { type TrainWorld, trainWorld } from "../train/fixtures/jobs/setup.js";
import {
  accessibilityProblems,
  builtConsole,
  chromiumAvailable,
  launch,
  screenshot,
} from "./fixtures/browser.js";

describe.runIf(chromiumAvailable())(
  "the consumer's journey in Chromium, from the catalog to a model's pictures",
  () => {
    let t: TrainWorld;
    let app: FastifyInstance;
    let browser: Browser;
    let page: Page;
    let base: string;
    let version: string;
    const creds: Record<string, { key: string; secret: string }> = {};
    const lab = { key: "", secret: "" };

    beforeAll(async () => {
      t = await trainWorld(await sqliteBackend.open());
      version = (await t.buildTrainable()).id;
      const now = () => t.w.clock.now;
      const catalog = new Catalog(t.db, t.w.audit, { directory: registeredParticipants(t.db), now });
      await catalog.publish(
        {
          storeId: "univ",
          description: describeFixture(),
          offer: offerFixture(
            "offer-research.jsonld",
            "urn:learnpool:offer:univ-web",
            "urn:learnpool:participant:univ",
          ),
        },
        { actor: "test", storeId: "univ" },
      );
      app = Fastify({ logger: false });
      app.removeAllContentTypeParsers();
      app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));
      registerAgreementRoutes(app, t.lrs, t.w.agreements);
      registerAuditRoutes(app, t.lrs, t.w.agreements.participants);
      registerCatalogRoutes(app, t.lrs, catalog);
      registerConsentRoutes(
        app,
        t.lrs,
        consentServices(
          t.lrs,
          { agreements: t.w.agreements },
          { now, masterKey: MASTER_KEY, delivery: false, deletionDuties: false },
        ),
      );
      registerDatasetRoutes(
        app,
        t.lrs,
        datasetServices(
          t.lrs,
          { agreements: t.w.agreements, enforcement: t.enforcement },
          { notifier: t.notifier },
          { now },
        ),
      );
      registerTrainRoutes(
        app,
        t.lrs,
        trainServices(
          t.lrs,
          { agreements: t.w.agreements, enforcement: t.enforcement },
          t.versions,
          { notifier: t.notifier },
          { jobsDir: mkdtempSync(join(tmpdir(), "learnpool-web-jobs-")), now, worker: { loader: TS_LOADER } },
        ),
      );
      registerConsole(app, { assetsDir: await builtConsole() });
      await app.listen({ port: 0, host: "127.0.0.1" });
      base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const made = await t.lrs.tenancy.addCredential({ storeId: "lab", scopes: ["all"], actor: "test" });
      Object.assign(lab, { key: made.key, secret: made.secret });
      for (const who of ["univ", "op"]) {
        const c = await t.lrs.tenancy.addCredential({ storeId: who, scopes: ["all"], actor: "test" });
        creds[who] = { key: c.key, secret: c.secret };
      }
      browser = await launch();
      page = await (await browser.newContext({ locale: "en-GB", acceptDownloads: true })).newPage();
    }, 240_000);
    // A failing step leaves a picture of what the page showed.
    afterEach(async (ctx) => {
      if (ctx.task.result?.state === "fail" && page)
        await screenshot(page, `consumer-failed-${ctx.task.name.slice(0, 40).replace(/\W+/g, "-")}`);
    });
    afterAll(async () => {
      await browser?.close();
      await app?.close();
      await t?.close();
    });

    it("signs in as the consumer and sees the consumer's pages", async () => {
      await page.goto(consoleUrl(base));
      await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await page.getByLabel("Consumer").check();
      await page.getByLabel("Credential key").fill(lab.key);
      await page.getByLabel("Secret").fill("wrong");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").filter({ hasText: "Sign-in refused" }).waitFor();
      await page.getByLabel("Secret").fill(lab.secret);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText(/Signed in as .* \(Consumer\)/).waitFor();
      const nav = page.getByRole("navigation", { name: "Pages" });
      expect(await nav.getByRole("link").allTextContents()).toEqual([
        "Catalog",
        "Agreements",
        "Dataset versions",
        "Training jobs",
      ]);
      // The same pages in French.
      await page.getByRole("button", { name: "Français" }).click();
      await page.getByRole("heading", { level: 1, name: "Catalogue" }).waitFor();
      expect(await nav.getByRole("link").allTextContents()).toEqual([
        "Catalogue",
        "Accords",
        "Versions de jeux de données",
        "Entraînements",
      ]);
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, "consumer-0-catalogue-fr");
      await page.getByRole("button", { name: "English" }).click();
      await page.getByRole("heading", { level: 1, name: "Catalog" }).waitFor();
      // The secret is kept for this tab only, never in localStorage.
      expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(lab.secret);
    }, 60_000);

    it("searches the catalog", async () => {
      await page.getByRole("heading", { level: 1, name: "Catalog" }).waitFor();
      const title = describeFixture().title as string;
      await page.getByRole("searchbox", { name: "Search" }).fill(title.split(" ")[0]!);
      await page.getByRole("button", { name: "Search" }).click();
      await page.getByRole("heading", { level: 2, name: title }).waitFor();
      await page.getByText("The offer (ODRL)").first().click();
      expect(await page.locator("li.card pre").first().textContent()).toContain(
        "urn:learnpool:offer:univ-web",
      );
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, "consumer-1-catalog");
    }, 60_000);

    it("reads the agreement in plain words beside its ODRL, and verifies its signatures", async () => {
      await page.getByRole("link", { name: "Agreements" }).click();
      await page.getByRole("heading", { level: 1, name: "Agreements" }).waitFor();
      await page.locator(`a[href="#/agreement/${encodeURIComponent(t.downloadable)}"]`).click();
      await page.getByRole("heading", { level: 2, name: "In plain words" }).waitFor();
      const words = await page.locator("section[aria-labelledby=plain] li").allTextContents();
      expect(words).toContain("May derive new data from it. Only when: the purpose is academic research.");
      expect(words).toContain("May hand it on. Only when: the purpose is academic research.");
      expect(await page.locator("section[aria-labelledby=odrl] pre").textContent()).toContain('"derive"');
      await page.getByRole("button", { name: "Verify the signatures" }).click();
      await page.getByText(/^Verified: the document and its \d+ signed events hold\.$/).waitFor();
      await screenshot(page, "consumer-2-agreement");
    }, 60_000);

    it("opens a dataset version: card, Croissant, risk chart, and the lineage check", async () => {
      await page.getByRole("link", { name: "Dataset versions" }).click();
      await page.locator(`a[href="#/dataset/${encodeURIComponent(version)}"]`).click();
      await page.getByRole("heading", { level: 1, name: /^Dataset version dropout-train/ }).waitFor();
      await page.getByRole("button", { name: "Open the documentation" }).click();
      await page.getByText(/^Access granted until/).waitFor();
      await page.getByRole("heading", { level: 2, name: "Dataset card" }).waitFor();
      expect(await page.locator("pre.card-text").textContent()).toMatch(/dropout-train/);
      await page.getByRole("heading", { level: 2, name: "Croissant metadata" }).waitFor();
      await page.getByRole("img", { name: "Risk measures (0 to 1)" }).waitFor();
      await page.getByRole("button", { name: "Verify the lineage" }).click();
      await page.getByText(/^Verified: the documents match the inventory/).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, "consumer-3-dataset-version");
    }, 60_000);

    it("submits a training job and sees the pictures the release gate let out", async () => {
      await page.getByRole("link", { name: "Training jobs" }).click();
      const spec = page.getByLabel("Job specification (YAML)");
      await spec.fill(`version: ${version}
label: dropout
groups: [gender]
limits: {memory_mb: 256, seconds: 60}
`);
      await page.getByRole("button", { name: "Submit a training job" }).click();
      await page.getByRole("heading", { level: 1, name: /^Training job/ }).waitFor();
      // The page follows the job until it ends.
      await page.locator(".state-succeeded, .state-failed").waitFor({ timeout: 100_000 });
      expect(await page.locator("dd .state").textContent()).toBe("succeeded");
      const figures = page.locator(".gallery figure");
      expect(await figures.count()).toBeGreaterThan(0);
      const captions = await figures.locator("figcaption").allTextContents();
      expect(captions).toContain("ROC curve");
      // Every picture arrived (fetched with the credential) and was drawn.
      await page.waitForFunction(
        () =>
          [...document.querySelectorAll(".gallery img")].every(
            (img) => (img as HTMLImageElement).complete && (img as HTMLImageElement).naturalWidth > 0,
          ),
        undefined,
        { timeout: 20_000 },
      );
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, "consumer-4-job-pictures");
    }, 150_000);

    const signInAs = async (who: string, role: string) => {
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { level: 1, name: "Sign in" }).waitFor();
      await page.getByLabel(role).check();
      await page.getByLabel("Credential key").fill(creds[who]!.key);
      await page.getByLabel("Secret").fill(creds[who]!.secret);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText(new RegExp(`Signed in as .* \\(${role}\\)`)).waitFor();
    };

    it("shows the provider its data, consent coverage and what left its premises", async () => {
      await signInAs("univ", "Provider");
      const nav = page.getByRole("navigation", { name: "Pages" });
      expect(await nav.getByRole("link").allTextContents()).toEqual([
        "My data",
        "Agreements",
        "Consent coverage",
        "What left",
      ]);
      await page.getByRole("heading", { level: 1, name: "My data" }).waitFor();
      await page.getByRole("heading", { level: 2, name: describeFixture().title as string }).waitFor();
      await page.getByRole("img", { name: "Statements by verb" }).waitFor();
      expect(await page.locator(".card p").first().textContent()).toMatch(
        /statements from [\d\s,]+ learners/,
      );
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, "provider-1-data");

      await nav.getByRole("link", { name: "Consent coverage" }).click();
      await page.getByRole("heading", { level: 1, name: "Consent coverage" }).waitFor();
      const row = page
        .locator("tbody tr")
        .filter({ has: page.locator(`a[href="#/agreement/${encodeURIComponent(t.downloadable)}"]`) });
      // The cohort of 40 and the versions world's three learners consent under the downloadable agreement.
      expect(await row.locator("td").nth(1).textContent()).toBe("43");

      await nav.getByRole("link", { name: "What left" }).click();
      await page.getByRole("heading", { level: 1, name: "What left" }).waitFor();
      const left = page.locator("tbody tr").filter({ hasText: "dropout-train" });
      expect(await left.count()).toBeGreaterThan(0);
      expect(await left.first().locator("td").nth(1).textContent()).toBe("lab");
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, "provider-2-what-left");

      // An agreement the others have signed waits for the university's signature: it signs in the
      // browser with its private key file (read there, never sent).
      const proposed = await t.w.agreements.propose(draft());
      for (const id of ["op", "mooc", "lab"]) {
        const key = t.w.keys[id]!;
        await t.w.agreements.sign(
          proposed.id,
          id,
          await signAgreement(proposed.canonical, key.privateJwk, key.kid),
        );
      }
      await nav.getByRole("link", { name: "Agreements" }).click();
      const pending = page
        .locator("tbody tr")
        .filter({ has: page.locator(`a[href="#/agreement/${encodeURIComponent(proposed.id)}"]`) });
      expect(await pending.locator("td").nth(3).textContent()).toBe("univ");
      await pending.getByRole("link").click();
      await page.getByRole("heading", { level: 2, name: "Sign this agreement" }).waitFor();
      await page.getByLabel("Your private key (JWK file)").setInputFiles({
        name: "univ.jwk.json",
        mimeType: "application/json",
        buffer: Buffer.from(JSON.stringify(t.w.keys.univ!.privateJwk)),
      });
      await page.getByRole("button", { name: "Sign this agreement" }).click();
      await page
        .getByRole("heading", { level: 2, name: "Sign this agreement" })
        .waitFor({ state: "detached" });
      expect((await t.w.agreements.status(proposed.id)).state).toBe("final");
      expect(await page.locator("dl.facts dd").first().textContent()).toMatch(/^final/);
      await screenshot(page, "provider-3-signed");
    }, 60_000);

    it("shows the operator the data space: participants and flows drawn as a diagram", async () => {
      await signInAs("op", "Operator");
      await page.getByRole("heading", { level: 1, name: "Data space" }).waitFor();
      const diagram = page.locator("svg.flows");
      expect(await diagram.getAttribute("aria-label")).toContain("(consumer)");
      expect(await diagram.locator("line.edge").count()).toBeGreaterThan(2);
      expect(await diagram.locator("rect.node.provider").count()).toBeGreaterThanOrEqual(2);
      // Each box shows its name whole, or cut with an ellipsis; the whole name is its title.
      for (const label of await diagram.locator("text.node-label").all()) {
        const title = (await label.locator("title").textContent()) ?? "";
        const shown = (await label.evaluate((el) => el.lastChild?.textContent)) ?? "";
        expect(title.length).toBeGreaterThan(0);
        expect(shown === title || (shown.endsWith("…") && title.startsWith(shown.slice(0, -1)))).toBe(true);
      }
      const participants = page.locator("table").filter({ hasText: "Participants" });
      expect(await participants.locator("tbody tr").count()).toBeGreaterThanOrEqual(4);
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, "operator-1-data-space");
    }, 60_000);

    it("shows the operator the audit trail and verifies its chain", async () => {
      await page
        .getByRole("navigation", { name: "Pages" })
        .getByRole("link", { name: "Audit trail" })
        .click();
      await page.getByRole("heading", { level: 1, name: "Audit trail" }).waitFor();
      const total = (await t.w.audit.list({ limit: 100_000 })).length;
      const rows = page.locator("tbody tr");
      expect(await rows.count()).toBe(Math.min(50, total));
      // The newest page first: its last row is the trail's last event.
      expect(await rows.last().locator("td").first().textContent()).toBe(String(total));
      await page.getByRole("button", { name: "Verify the chain" }).click();
      await page.getByText(/^Verified: the \d+ events hold, from the first to the last\.$/).waitFor();
      await page.getByRole("button", { name: "Older events" }).click();
      await page.getByText(`Events ${Math.max(1, total - 99)} to ${total - 50}`).waitFor();
      expect(await accessibilityProblems(page)).toEqual([]);
      await screenshot(page, "operator-2-audit");
    }, 60_000);
  },
);
