import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyReceipt } from "../../src/consent/index.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";
import { pseudonym, query, refusal, type World, world } from "./setup.js";

for (const backend of await backends()) {
  describe(`consent registry (${backend.name})`, () => {
    let db: Database;
    let w: World;
    beforeEach(async () => {
      db = await backend.open();
      w = await world(db);
    });
    afterEach(async () => {
      await db.close();
    });

    it("requests, gives with a portal link, decides, withdraws in one call, refuses a second withdrawal", async () => {
      const learner = pseudonym();
      const { changes } = await w.request(learner);
      expect(changes).toHaveLength(1);
      expect(changes[0]).toMatchObject({
        event: "request",
        stateBefore: "unknown",
        state: "requested",
        by: "provider",
      });
      expect((await w.consent.isPermitted(query(w, learner))).permitted).toBe(false);

      const given = await w.consent.give(await w.link({ sub: learner }));
      expect(given[0]).toMatchObject({ event: "give", state: "given", n: 2 });
      const decision = await w.consent.isPermitted(query(w, learner));
      expect(decision).toMatchObject({ permitted: true, state: "given" });
      expect(new Set(await w.consent.consentingLearners(w.agreementId))).toEqual(new Set([learner]));

      const jwks = await w.consent.jwks();
      const checked = await verifyReceipt(given[0]!.receipt, jwks, { previous: changes[0]!.receipt });
      expect(checked).toMatchObject({
        ok: true,
        payload: { state: "https://w3id.org/dpv#ConsentGiven", seq: 2 },
      });

      const withdrawn = await w.consent.withdraw(
        { learner, agreement: w.agreementId },
        { link: await w.link({ sub: learner }) },
      );
      expect(withdrawn[0]).toMatchObject({ event: "withdraw", state: "withdrawn" });
      expect((await w.consent.isPermitted(query(w, learner))).permitted).toBe(false);
      await expect(
        w.consent.withdraw({ learner, agreement: w.agreementId }, { link: await w.link({ sub: learner }) }),
      ).rejects.toSatisfy(refusal(409, /nothing to withdraw/));
      await expect(
        w.consent.withdraw(given[0]!.record, { link: await w.link({ sub: learner }) }),
      ).rejects.toSatisfy(refusal(409, /withdrawn already/));
      expect((await w.consent.events(given[0]!.record)).map((e) => e.event)).toEqual([
        "request",
        "give",
        "withdraw",
      ]);
      expect((await w.audit.verify()).ok).toBe(true);
    });
  });
}
