/**
 * Consent given to a recipient category counts for the participants in it at the instant asked;
 * several records withdrawn with one link in one change; webhook secrets sealed under the master key.
 */
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConsentNotifier, SEALED_SECRET_PREFIX } from "../../src/consent/notify.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";
import { pseudonym, type World, world } from "./setup.js";

const PUBLIC_RESEARCH = "https://w3id.org/learnpool/odrl/PublicResearchInEducation";

for (const backend of await backends()) {
  describe(`consent: categories, set withdrawal, sealed secrets (${backend.name})`, () => {
    let db: Database;
    let w: World;
    beforeEach(async () => {
      db = await backend.open();
      w = await world(db);
    });
    afterEach(async () => {
      await db.close();
    });

    it("counts consent given to a category for a consumer in it, only while it is in it", async () => {
      const learner = pseudonym();
      await w.request(learner, { recipients: ["lp:PublicResearchInEducation"] });
      await w.consent.give(await w.link({ sub: learner }));
      const ask = (at?: Date) =>
        w.consent.isPermitted({
          learner,
          agreement: w.agreementId,
          purpose: "dpv:AcademicResearch",
          recipient: "lab",
          dataCategory: "pd:EducationExperience",
          ...(at && { at }),
        });
      const cohort = (at?: Date) => w.consent.consentingLearners(w.agreementId, at, { recipient: "lab" });
      // Not in the category: the consent does not reach the lab.
      expect(await ask()).toMatchObject({ permitted: false });
      expect((await cohort()).size).toBe(0);

      const addedAt = new Date(w.clock.now);
      w.clock.now = new Date(addedAt.getTime() + 60_000);
      await w.agreements.participants.categorize("lab", "lp:PublicResearchInEducation", "op");
      expect(await w.agreements.participants.categories("lab")).toEqual([PUBLIC_RESEARCH]);
      w.clock.now = new Date(addedAt.getTime() + 120_000);
      const permitted = await ask();
      expect(permitted).toMatchObject({ permitted: true, state: "given" });
      expect(permitted.reason).toContain(PUBLIC_RESEARCH);
      expect([...(await cohort())]).toEqual([learner]);
      // Before it was put in the category, the answer is the same as it was then.
      expect(await ask(addedAt)).toMatchObject({ permitted: false });
      expect((await cohort(addedAt)).size).toBe(0);
      // The category itself, asked directly, is permitted as before.
      expect(
        await w.consent.isPermitted({
          learner,
          agreement: w.agreementId,
          purpose: "dpv:AcademicResearch",
          recipient: PUBLIC_RESEARCH,
          dataCategory: "pd:EducationExperience",
        }),
      ).toMatchObject({ permitted: true });
      // Another participant, not in it, gets nothing.
      expect(
        await w.consent.isPermitted({
          learner,
          agreement: w.agreementId,
          purpose: "dpv:AcademicResearch",
          recipient: "other",
          dataCategory: "pd:EducationExperience",
        }),
      ).toMatchObject({ permitted: false });

      // Removed: from then on the consent no longer counts for the lab; before, it still did.
      const inIt = new Date(w.clock.now);
      w.clock.now = new Date(inIt.getTime() + 60_000);
      await w.agreements.participants.uncategorize("lab", PUBLIC_RESEARCH, "op");
      w.clock.now = new Date(inIt.getTime() + 120_000);
      expect(await ask()).toMatchObject({ permitted: false });
      expect((await cohort()).size).toBe(0);
      expect(await ask(inIt)).toMatchObject({ permitted: true });
      expect([...(await cohort(inIt))]).toEqual([learner]);
      // A consent to the lab by name still counts whatever its categories.
      const named = pseudonym();
      await w.request(named);
      await w.consent.give(await w.link({ sub: named }));
      expect([...(await cohort())]).toEqual([named]);
    });

    it("withdraws a chosen set of records in one change, atomically, each with its event and receipt", async () => {
      const learner = pseudonym();
      await w.request(learner, {
        dataCategories: ["pd:EducationExperience", "pd:Behavioral", "pd:Interest"],
      });
      await w.consent.give(await w.link({ sub: learner }));
      const records = (await w.consent.records(learner, w.agreementId)).map((r) => r.record.id);
      expect(records).toHaveLength(3);
      const [a, b, c] = records as [string, string, string];

      // One record not the link's learner's: nothing changes.
      const stranger = pseudonym();
      await w.request(stranger);
      await w.consent.give(await w.link({ sub: stranger }));
      const theirs = (await w.consent.records(stranger, w.agreementId))[0]!.record.id;
      await expect(
        w.consent.withdraw({ records: [a, theirs] }, { link: await w.link({ sub: learner }) }),
      ).rejects.toThrow(/not the link's learner's/);
      expect((await w.consent.status(a)).state).toBe("given");
      await expect(
        w.consent.withdraw({ records: [] }, { link: await w.link({ sub: learner }) }),
      ).rejects.toThrow(/non-empty/);
      await expect(
        w.consent.withdraw({ records: [a, a] }, { link: await w.link({ sub: learner }) }),
      ).rejects.toThrow(/named twice/);

      const changes = await w.consent.withdraw({ records: [a, b] }, { link: await w.link({ sub: learner }) });
      expect(changes.map((ch) => [ch.record, ch.event, ch.state])).toEqual([
        [a, "withdraw", "withdrawn"],
        [b, "withdraw", "withdrawn"],
      ]);
      expect(changes[0]!.receipt).not.toBe(changes[1]!.receipt);
      expect((await w.consent.status(c)).state).toBe("given");
      // A record already withdrawn in a set: refused, and the other one in it is left as it was.
      await expect(
        w.consent.withdraw({ records: [c, a] }, { link: await w.link({ sub: learner }) }),
      ).rejects.toThrow(/withdrawn: there is no consent to withdraw/);
      expect((await w.consent.status(c)).state).toBe("given");
    });

    it("keeps webhook secrets sealed under the master key, and reads an old clear row", async () => {
      const master = randomBytes(32);
      const notifier = new ConsentNotifier(db, w.audit, w.agreements, { allowHttp: true, masterKey: master });
      const made = await notifier.registerWebhook("lab", { url: "http://127.0.0.1:9/hook" }, "lab");
      const rows = await db.all<{ secret: string }>("SELECT secret FROM consent_webhooks");
      expect(rows[0]!.secret.startsWith(SEALED_SECRET_PREFIX)).toBe(true);
      expect(rows[0]!.secret).not.toContain(made.secret);
      const dump = JSON.stringify(await db.all("SELECT * FROM audit_events"));
      expect(dump).not.toContain(made.secret);
      expect((await notifier.webhook("lab"))?.secret).toBe(made.secret);

      // Without the master key, or with another one, a sealed secret is refused with the reason.
      const none = new ConsentNotifier(db, w.audit, w.agreements, { masterKey: () => undefined });
      await expect(none.webhook("lab")).rejects.toThrow(/sealed under the master key and no master key/);
      const other = new ConsentNotifier(db, w.audit, w.agreements, { masterKey: randomBytes(32) });
      await expect(other.webhook("lab")).rejects.toThrow(/another master key/);

      // A row stored in clear (registered with no master key) is still read, and sealed when registered again.
      const clear = new ConsentNotifier(db, w.audit, w.agreements, {
        allowHttp: true,
        masterKey: () => undefined,
      });
      const old = await clear.registerWebhook(
        "lab",
        { url: "http://127.0.0.1:9/hook", secret: "a-clear-secret-0123" },
        "lab",
      );
      expect((await db.one<{ secret: string }>("SELECT secret FROM consent_webhooks"))?.secret).toBe(
        old.secret,
      );
      expect((await notifier.webhook("lab"))?.secret).toBe("a-clear-secret-0123");
      await notifier.registerWebhook(
        "lab",
        { url: "http://127.0.0.1:9/hook", secret: "a-clear-secret-0123" },
        "lab",
      );
      const resealed = (await db.one<{ secret: string }>("SELECT secret FROM consent_webhooks"))!.secret;
      expect(resealed.startsWith(SEALED_SECRET_PREFIX)).toBe(true);
      expect(resealed).not.toContain("a-clear-secret-0123");
    });
  });
}
