import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import { ConsentNotifier, type DeletionDutyOpener, NotifyError } from "../../src/consent/notify.js";
import { backoffDelay, NotificationDelivery } from "../../src/consent/notify-delivery.js";
import { signWebhook, verifyWebhookSignature } from "../../src/consent/notify-signature.js";
import { AgreementRegistry } from "../../src/contract/index.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";
import { pseudonym, type World, world } from "./setup.js";

/** A consumer's webhook: fails `failures` times with a 500, then acknowledges; keeps what it received. */
async function webhookServer(failures: number) {
  const received: Array<{ body: string; signature: string | undefined; at: number; status: number }> = [];
  let left = failures;
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = left-- > 0 ? 500 : 204;
      received.push({
        body: Buffer.concat(chunks).toString("utf8"),
        signature: req.headers["learnpool-signature"] as string | undefined,
        at: Date.now(),
        status,
      });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/consent`;
  return { url, received, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** The world's clock follows real time: latencies are measured between the core's and the worker's clocks. */
function liveClock(w: World): World {
  Object.defineProperty(w.clock, "now", { get: () => new Date(), set: () => undefined, configurable: true });
  return w;
}

/** Stands in for the enforcement API this module needs (see DeletionDutyOpener). */
function fakeDuties(): DeletionDutyOpener & { opened: unknown[] } {
  const opened: unknown[] = [];
  return {
    opened,
    async openDeletionDuty(tx, input) {
      await tx.one("SELECT 1 AS ok");
      opened.push(input);
      return { id: `duty-${opened.length}`, due: "2027-04-14T00:00:00.000Z" };
    },
  };
}

describe("webhook signature and backoff (pure)", () => {
  it("signs the exact body with a timestamp and refuses changes, other secrets and old signatures", () => {
    const at = new Date("2027-03-15T10:00:00Z");
    const header = signWebhook("s3cret-s3cret-s3cret", '{"a":1}', at);
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature("s3cret-s3cret-s3cret", '{"a":1}', header, { now: at })).toBe(true);
    expect(verifyWebhookSignature("s3cret-s3cret-s3cret", '{"a":2}', header, { now: at })).toBe(false);
    expect(verifyWebhookSignature("other-secret-other", '{"a":1}', header, { now: at })).toBe(false);
    expect(
      verifyWebhookSignature("s3cret-s3cret-s3cret", '{"a":1}', header, {
        now: new Date(at.getTime() + 3_600_000),
      }),
    ).toBe(false);
    expect(verifyWebhookSignature("s3cret-s3cret-s3cret", '{"a":1}', undefined)).toBe(false);
    expect(verifyWebhookSignature("s3cret-s3cret-s3cret", '{"a":1}', "t=1,v1=zz")).toBe(false);
  });

  it("doubles the delay after each failure, up to a ceiling", () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, 1000, 10_000))).toEqual([
      1000, 2000, 4000, 8000, 10_000,
    ]);
    expect(backoffDelay(40, 1000, 3_600_000)).toBe(3_600_000);
    expect(backoffDelay(3, 1000, 10_000, 0.5)).toBe(2000);
  });
});

for (const backend of await backends()) {
  describe(`consent notifications (${backend.name})`, () => {
    let db: Database;
    let w: World;
    let notifier: ConsentNotifier;
    let duties: ReturnType<typeof fakeDuties>;
    let hook: Awaited<ReturnType<typeof webhookServer>> | undefined;

    const setup = async (database: Database) => {
      w = liveClock(await world(database));
      duties = fakeDuties();
      notifier = new ConsentNotifier(database, w.audit, w.agreements, {
        allowHttp: true,
        deletionDuties: duties,
      });
      w.consent.onChange(notifier.listener());
    };
    /** A learner who consents to two data categories, then withdraws everything in one call. */
    const withdrawOne = async () => {
      const learner = pseudonym();
      await w.request(learner, { dataCategories: ["pd:EducationExperience", "pd:Behavioral"] });
      await w.consent.give(await w.link({ sub: learner }));
      const changes = await w.consent.withdraw(
        { learner, agreement: w.agreementId },
        { link: await w.link({ sub: learner }) },
      );
      return { learner, changes };
    };

    beforeEach(async () => {
      db = await backend.open();
      await setup(db);
    });
    afterEach(async () => {
      await hook?.close();
      hook = undefined;
      await db.close();
    });

    it("records one withdrawal, its deletion duty, an audit event and an outbox row in the withdrawal's transaction", async () => {
      const { learner, changes } = await withdrawOne();
      expect(changes).toHaveLength(2);
      const [withdrawal, ...more] = await notifier.withdrawals({ agreement: w.agreementId });
      expect(more).toEqual([]);
      expect(withdrawal).toMatchObject({
        agreementId: w.agreementId,
        learner,
        kind: "withdrawn",
        purposes: ["https://w3id.org/dpv#AcademicResearch"],
        records: changes.map((c) => c.record).sort(),
        effectiveAt: changes[0]!.at,
        consumers: 1,
        completedAt: null,
      });
      const [n, ...others] = await notifier.notifications({ consumer: "lab" });
      expect(others).toEqual([]);
      expect(n).toMatchObject({ state: "pending", attempts: 0, event: "withdrawn", consumer: "lab" });
      expect(n!.body).toEqual({
        type: "learnpool.consent.withdrawn",
        id: n!.id,
        withdrawal: withdrawal!.id,
        agreement: w.agreementId,
        pseudonym: learner,
        event: "withdrawn",
        purposes: ["https://w3id.org/dpv#AcademicResearch"],
        at: changes[0]!.at,
        deletionDuty: { id: "duty-1", due: "2027-04-14T00:00:00.000Z" },
      });
      expect(duties.opened).toEqual([
        expect.objectContaining({
          agreementId: w.agreementId,
          consumer: "lab",
          learner,
          reason: "withdrawn",
        }),
      ]);
      const events = (await w.audit.list({ limit: 1000 })).filter(
        (e) => e.action === "consent.withdrawal.notified",
      );
      expect(events).toHaveLength(1);
      expect(JSON.stringify(events[0]!.details)).not.toContain(learner);

      // A second withdrawal is refused by the core and notifies nobody.
      await expect(
        w.consent.withdraw({ learner, agreement: w.agreementId }, { link: await w.link({ sub: learner }) }),
      ).rejects.toThrow(/nothing to withdraw/);
      expect(await notifier.notifications()).toHaveLength(1);
      // Giving, refusing or requesting notifies nobody.
      const other = pseudonym();
      await w.request(other);
      await w.consent.refuse(await w.link({ sub: other }));
      expect(await notifier.withdrawals()).toHaveLength(1);
    });

    it("rolls the withdrawal back with the state change when the notification cannot be written", async () => {
      const learner = pseudonym();
      await w.request(learner);
      await w.consent.give(await w.link({ sub: learner }));
      const failing = new ConsentNotifier(db, w.audit, w.agreements, {
        deletionDuties: {
          openDeletionDuty: async () => {
            throw new Error("enforcement is down");
          },
        },
      });
      const off = w.consent.onChange(failing.listener());
      await expect(
        w.consent.withdraw({ learner, agreement: w.agreementId }, { link: await w.link({ sub: learner }) }),
      ).rejects.toThrow(/enforcement is down/);
      off();
      expect(await notifier.withdrawals()).toEqual([]);
      expect(
        (
          await w.consent.isPermitted({
            learner,
            agreement: w.agreementId,
            purpose: "dpv:AcademicResearch",
            recipient: "lab",
            dataCategory: "pd:EducationExperience",
          })
        ).permitted,
      ).toBe(true);
    });

    it("delivers a signed webhook, retried with backoff until a 2xx, and measures withdrawal to acknowledgement", async () => {
      hook = await webhookServer(2);
      const registered = await notifier.registerWebhook("lab", { url: hook.url }, "lab");
      expect(registered.secret).toMatch(/^whsec_/);
      const { learner } = await withdrawOne();
      const delivery = new NotificationDelivery(db, notifier, { baseDelayMs: 25, jitter: false });
      expect(await delivery.drain(10_000)).toBe(0);

      expect(hook.received.map((r) => r.status)).toEqual([500, 500, 204]);
      // Exponential: the second gap is about twice the first.
      const gaps = [hook.received[1]!.at - hook.received[0]!.at, hook.received[2]!.at - hook.received[1]!.at];
      expect(gaps[0]).toBeGreaterThanOrEqual(20);
      expect(gaps[1]).toBeGreaterThanOrEqual(45);
      for (const r of hook.received) {
        expect(verifyWebhookSignature(registered.secret, r.body, r.signature)).toBe(true);
        expect(JSON.parse(r.body)).toMatchObject({
          pseudonym: learner,
          event: "withdrawn",
          agreement: w.agreementId,
        });
      }
      const [n] = await notifier.notifications({ consumer: "lab" });
      expect(n).toMatchObject({
        state: "acknowledged",
        acknowledgedBy: "webhook",
        attempts: 2,
        lastStatus: 204,
      });
      expect((await notifier.attempts(n!.id)).map((a) => a.status)).toEqual([500, 500, 204]);
      const withdrawal = await notifier.withdrawal(n!.withdrawal);
      expect(withdrawal!.completedAt).toBe(n!.acknowledgedAt);
      expect(withdrawal!.latencyMs).toBe(
        Date.parse(n!.acknowledgedAt!) - Date.parse(withdrawal!.effectiveAt),
      );
      expect(withdrawal!.latencyMs).toBeGreaterThanOrEqual(70);
      const report = await notifier.latencyReport();
      expect(report).toMatchObject({ completed: 1, pending: 0, maxMs: withdrawal!.latencyMs });
      console.info(
        `[${backend.name}] withdrawal → last acknowledged notification, webhook failing twice (backoff 25 ms, 50 ms): ${withdrawal!.latencyMs} ms`,
      );
    });

    it("measures a withdrawal notified by a running worker to a webhook that answers at once", async () => {
      hook = await webhookServer(0);
      await notifier.registerWebhook("lab", { url: hook.url }, "lab");
      const delivery = new NotificationDelivery(db, notifier, { pollMs: 20 });
      w.consent.onChange(() => {
        // The worker is told after the change; it reads the row once the transaction has committed.
        setImmediate(() => delivery.wake());
      });
      delivery.start();
      const latencies: number[] = [];
      for (let i = 0; i < 5; i++) {
        await withdrawOne();
        for (let t = 0; t < 200 && (await notifier.latencyReport()).completed < i + 1; t++)
          await new Promise((r) => setTimeout(r, 5));
      }
      await delivery.stop();
      for (const wd of await notifier.withdrawals()) latencies.push(wd.latencyMs!);
      expect(latencies).toHaveLength(5);
      const report = await notifier.latencyReport();
      console.info(
        `[${backend.name}] withdrawal → last acknowledged notification, worker polling every 20 ms and woken after the change: median ${report.medianMs} ms, max ${report.maxMs} ms over 5`,
      );
      expect(report.maxMs!).toBeLessThan(2000);
    });

    it("keeps a notification pending while no webhook is registered, and delivers once one is", async () => {
      await withdrawOne();
      const delivery = new NotificationDelivery(db, notifier, { baseDelayMs: 60_000, jitter: false });
      expect(await delivery.deliverDue()).toEqual({ attempted: 1, acknowledged: 0, failed: 1 });
      const [n] = await notifier.notifications();
      expect(n).toMatchObject({ state: "pending", attempts: 1, lastError: "no webhook registered" });
      expect(await delivery.deliverDue()).toEqual({ attempted: 0, acknowledged: 0, failed: 0 });
      hook = await webhookServer(0);
      await notifier.registerWebhook("lab", { url: hook.url, secret: "a-long-enough-secret" }, "lab");
      expect(await delivery.deliverDue()).toEqual({ attempted: 1, acknowledged: 1, failed: 0 });
      expect(
        verifyWebhookSignature("a-long-enough-secret", hook.received[0]!.body, hook.received[0]!.signature),
      ).toBe(true);
      await expect(notifier.registerWebhook("lab", { url: "ftp://x" }, "lab")).rejects.toThrow(NotifyError);
      await expect(notifier.registerWebhook("lab", { url: "https://u:p@x.example/" }, "lab")).rejects.toThrow(
        /credentials/,
      );
      await expect(
        notifier.registerWebhook("lab", { url: "https://x.example/", secret: "short" }, "lab"),
      ).rejects.toThrow(/16 characters/);
    });

    it("is acknowledged through the API by its consumer only, once", async () => {
      await withdrawOne();
      const [n] = await notifier.notifications();
      await expect(notifier.acknowledge(n!.id, "univ", { consumer: "univ" })).rejects.toMatchObject({
        status: 404,
      });
      const acked = await notifier.acknowledge(n!.id, "lab", { consumer: "lab" });
      expect(acked).toMatchObject({ state: "acknowledged", acknowledgedBy: "lab" });
      const again = await notifier.acknowledge(n!.id, "lab", { consumer: "lab" });
      expect(again.acknowledgedAt).toBe(acked.acknowledgedAt);
      expect((await notifier.withdrawal(n!.withdrawal))!.completedAt).toBe(acked.acknowledgedAt);
      await expect(db.run("UPDATE consent_withdrawals SET learner = 'x'")).rejects.toThrow();
      await expect(db.run("DELETE FROM consent_withdrawals")).rejects.toThrow();
    });

    it("notifies expiry at the agreement's end like a withdrawal", async () => {
      const ending = await w.agree({ notAfter: "2027-06-01T00:00:00Z" });
      const learner = pseudonym();
      await w.request(learner, { agreement: ending });
      await w.consent.give(await w.link({ sub: learner, agr: ending }));
      const { expired } = await w.consent.sweep(new Date("2027-06-02T00:00:00Z"));
      expect(expired).toHaveLength(1);
      const [wd] = await notifier.withdrawals({ agreement: ending });
      expect(wd).toMatchObject({ kind: "expired", learner, consumers: 1 });
      const [n] = await notifier.notifications({ agreement: ending });
      expect(n!.body).toMatchObject({
        type: "learnpool.consent.expired",
        event: "expired",
        pseudonym: learner,
      });
    });

    it("tells pool which withdrawals flag a dataset version built before them", async () => {
      const builtAt = new Date(w.clock.now.getTime() - 1000).toISOString();
      const { learner } = await withdrawOne();
      const other = pseudonym();
      expect(
        (await notifier.withdrawalsAffecting(w.agreementId, builtAt, [learner, other])).map((x) => x.learner),
      ).toEqual([learner]);
      const later = new Date(w.clock.now.getTime() + 1000).toISOString();
      expect(await notifier.withdrawalsAffecting(w.agreementId, later, [learner])).toEqual([]);
    });
  });

  describe(`consent notifications survive a restart (${backend.name})`, () => {
    it("picks pending rows again after a restart, and a lease left by a dead worker once it runs out", async () => {
      const location = await backend.location();
      let db = await openDatabase(location);
      const w = liveClock(await world(db));
      let notifier = new ConsentNotifier(db, w.audit, w.agreements, { allowHttp: true });
      w.consent.onChange(notifier.listener());
      const hook = await webhookServer(2);
      try {
        await notifier.registerWebhook("lab", { url: hook.url }, "lab");
        const learner = pseudonym();
        await w.request(learner);
        await w.consent.give(await w.link({ sub: learner }));
        await w.consent.withdraw(
          { learner, agreement: w.agreementId },
          { link: await w.link({ sub: learner }) },
        );
        // First attempt fails, then the process "dies".
        const first = new NotificationDelivery(db, notifier, { baseDelayMs: 10, jitter: false });
        expect(await first.deliverDue()).toMatchObject({ attempted: 1, failed: 1 });
        await db.close();

        db = await openDatabase(location);
        const audit = new AuditLog(db);
        notifier = new ConsentNotifier(db, audit, new AgreementRegistry(db, audit), { allowHttp: true });
        // Another worker claimed the row and died holding its lease.
        await db.run("UPDATE consent_notifications SET lease_until = ?", [
          new Date(Date.now() + 3_600_000).toISOString(),
        ]);
        const now = new Date();
        const blocked = new NotificationDelivery(db, notifier, {
          now: () => now,
          baseDelayMs: 10,
          jitter: false,
        });
        await new Promise((r) => setTimeout(r, 20));
        expect((await blocked.deliverDue()).attempted).toBe(0);
        const later = new NotificationDelivery(db, notifier, {
          now: () => new Date(Date.now() + 2 * 3_600_000),
          baseDelayMs: 10,
          jitter: false,
        });
        expect(await later.deliverDue()).toMatchObject({ attempted: 1, failed: 1 });
        const restarted = new NotificationDelivery(db, notifier, { baseDelayMs: 10, jitter: false });
        await db.run("UPDATE consent_notifications SET next_attempt_at = ?", [new Date().toISOString()]);
        expect(await restarted.drain(5000)).toBe(0);
        expect(hook.received.map((r) => r.status)).toEqual([500, 500, 204]);
        const [n] = await notifier.notifications();
        expect(n).toMatchObject({ state: "acknowledged", attempts: 2 });
        const wd = await notifier.withdrawal(n!.withdrawal);
        expect(wd!.latencyMs).toBeGreaterThan(0);
      } finally {
        await hook.close();
        await db.close();
      }
    });
  });
}
