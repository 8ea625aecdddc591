/**
 * In Chromium: a learner opens the portal link their provider gave, reads the notice (French, then
 * English), gives consent for two purposes one click each, withdraws one, sees the history, checks and
 * downloads the receipts; a minor and a guardian give joint consent. Screenshots in test-artifacts/.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import type { Browser, BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleUrl, portalUrl } from "../../src/web/index.js";
import { requestBody } from "../consent/notices-fixture.js";
import { sqliteBackend } from "../helpers/databases.js";
import {
  accessibilityProblems,
  builtConsole,
  chromiumAvailable,
  launch,
  screenshot,
} from "./fixtures/browser.js";
import { type ConsentSpace, consentSpace } from "./fixtures/consent-space.js";

const pseudonym = () => randomBytes(16).toString("base64url");
const AI = "https://w3id.org/dpv#TrainAIModel";
const RESEARCH = "https://w3id.org/dpv#AcademicResearch";

describe.runIf(chromiumAvailable())("the learner's consent journey in Chromium", () => {
  let w: ConsentSpace;
  let browser: Browser;
  let context: BrowserContext;
  let base: string;

  beforeAll(async () => {
    w = await consentSpace(await sqliteBackend.open(), { assetsDir: await builtConsole() });
    base = await w.listen();
    browser = await launch();
    context = await browser.newContext({ locale: "fr-FR", acceptDownloads: true });
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await w?.close();
  });

  const ask = async (learner: string, extra: Record<string, unknown> = {}) => {
    const r = await w.app.inject({
      method: "POST",
      url: "/consent/requests",
      headers: { authorization: w.auth.univ!, "content-type": "application/json" },
      payload: JSON.stringify({
        ...requestBody(w.space.agreement.id, learner),
        link: { ttlSeconds: 900 },
        ...extra,
      }),
    });
    expect(r.statusCode, r.body).toBe(201);
    return r.json().links as Array<{ role: string; token: string }>;
  };
  const states = async (learner: string) => {
    const records = await w.services.registry.records(learner, w.space.agreement.id);
    return Object.fromEntries(records.map((r) => [r.record.purpose, r.status.state]));
  };

  it("gives for two purposes, withdraws one, reads the history, checks and downloads the receipts", async () => {
    const learner = pseudonym();
    const [link] = await ask(learner);
    // The purposes' words as the notice gives them in English.
    const notice = await w.app.inject({
      method: "GET",
      url: "/consent/portal/notice?lang=en",
      headers: { authorization: `Bearer ${link!.token}` },
    });
    const label = (iri: string) =>
      (notice.json().purposes as Array<{ iri: string; label: string }>).find((p) => p.iri === iri)!.label;

    const page = await context.newPage();
    await page.goto(portalUrl(base, link!.token));
    await page.getByRole("heading", { level: 1, name: "Votre consentement" }).waitFor();
    // The link leaves the address bar at once (it stands for the learner's login).
    expect(page.url()).not.toContain("portal=");
    expect(await page.locator("html").getAttribute("lang")).toBe("fr");
    await page.getByRole("heading", { name: "Ce qui est demandé, et pourquoi" }).waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "learner-1-portal-fr");

    // The language switch: every string, and the notice, in English.
    await page.getByRole("button", { name: "English" }).click();
    await page.getByRole("heading", { level: 1, name: "Your consent" }).waitFor();
    expect(await page.locator("html").getAttribute("lang")).toBe("en");
    expect(await page.getByRole("button", { name: "English" }).getAttribute("aria-pressed")).toBe("true");
    await page.locator(".notice article[lang=en]").waitFor();
    expect(await accessibilityProblems(page)).toEqual([]);

    // The young learner's words, on request.
    await page.getByLabel("Version of the notice").selectOption("young-learner");
    await page.getByRole("button", { name: "Show this version" }).click();
    await page.getByText("You can say yes or no to each one:").waitFor();
    expect(await page.getByLabel("Version of the notice").inputValue()).toBe("young-learner");

    // One click per purpose. Each change hands back the next link, so the visit goes on.
    const purpose = (iri: string) => page.locator("li.purpose").filter({ hasText: label(iri) });
    await purpose(AI).getByRole("button", { name: "I agree" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Recorded: you agreed to “${label(AI)}”.` })
      .waitFor();
    await purpose(RESEARCH).getByRole("button", { name: "I agree" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `you agreed to “${label(RESEARCH)}”` })
      .waitFor();
    expect(await states(learner)).toEqual({ [AI]: "given", [RESEARCH]: "given" });
    await screenshot(page, "learner-2-given");

    // Withdrawing is as easy as giving: with the keyboard, one key press.
    await purpose(AI).getByRole("button", { name: "Withdraw my consent" }).focus();
    await page.keyboard.press("Enter");
    await page
      .getByRole("status")
      .filter({ hasText: `you withdrew your consent to “${label(AI)}”` })
      .waitFor();
    expect(await states(learner)).toEqual({ [AI]: "withdrawn", [RESEARCH]: "given" });
    expect(await purpose(AI).locator(".state").textContent()).toBe("withdrawn");
    expect(await purpose(RESEARCH).locator(".state").textContent()).toBe("agreed");

    // The history, in order.
    const rows = page.locator("section[aria-labelledby=history-title] tbody tr");
    expect(await rows.count()).toBe(5);
    expect(await rows.locator("td:nth-child(3)").allTextContents()).toEqual([
      "asked",
      "asked",
      "agreed",
      "agreed",
      "withdrew",
    ]);

    // Receipts: checked in the browser against the registry's keys, and downloaded.
    await page.getByRole("button", { name: "Check my receipts" }).click();
    await page.getByText("5 of 5 receipts have a valid signature and chain.").waitFor();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download my receipts" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe("consent-receipts.json");
    const saved = JSON.parse(readFileSync((await download.path())!, "utf8"));
    expect(saved.receipts).toHaveLength(5);
    expect(saved.jwks.keys.length).toBeGreaterThan(0);
    expect(await accessibilityProblems(page)).toEqual([]);
    await screenshot(page, "learner-3-withdrawn-history-receipts");

    // After a reload (the visit survives it, in this tab only), the keyboard reaches the skip link
    // first, and it lands on the content.
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Your consent" }).waitFor();
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.className)).toBe("skip");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    await page.close();
  }, 120_000);

  it("takes a minor's consent jointly: the learner's answer waits for the guardian's", async () => {
    const learner = pseudonym();
    const [minor, guardian] = await ask(learner, {
      age: { birthYearMonth: "2014-05" },
      purposes: ["dpv:AcademicResearch"],
      link: { guardian: { pseudonym: pseudonym(), relationship: "parent" } },
    });
    const page = await context.newPage();
    await page.goto(portalUrl(base, minor!.token));
    await page.getByRole("heading", { level: 1, name: "Your consent" }).waitFor();
    await page.getByText("Joint consent: the learner and a guardian must both agree.").waitFor();
    await page.getByRole("button", { name: "I agree" }).click();
    await page.getByText("Learner agreed: yes · Guardian agreed: no").waitFor();
    expect(await page.locator("li.purpose .state").textContent()).toBe("waiting for an answer");
    await screenshot(page, "learner-4-minor-waits");
    await page.close();

    // The guardian, in another tab with their own link, reads the guardian's notice and agrees.
    const other = await context.newPage();
    // This one arrives as the consent routes write links when LEARNPOOL_CONSENT_PORTAL_URL names the
    // console: the link after a '#', which no request ever carries to a server.
    await other.goto(`${consoleUrl(base)}#${guardian!.token}`);
    await other.getByRole("heading", { level: 1, name: "Consent for your child" }).waitFor();
    expect(other.url()).not.toContain(guardian!.token);
    expect(await other.getByLabel("Version of the notice").inputValue()).toBe("guardian");
    await other.getByRole("button", { name: "I agree" }).click();
    await other.getByText("Learner agreed: yes · Guardian agreed: yes").waitFor();
    expect(await other.locator("li.purpose .state").textContent()).toBe("agreed");
    expect(await states(learner)).toEqual({ [RESEARCH]: "given" });
    expect(await accessibilityProblems(other)).toEqual([]);
    await screenshot(other, "learner-5-guardian-gives");
    await other.close();
  }, 120_000);
});
