import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exportJWK, generateKeyPair } from "jose";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import {
  AgreementRegistry,
  generateParticipantKey,
  type ParticipantKeyPair,
  signAgreement,
  signEvent,
  terminationStatement,
} from "../../src/contract/agreements/index.js";
import {
  type AgreementSource,
  dueDateOf,
  meetsAnonymizationLevel,
  PolicyEnforcement,
  signDeletion,
} from "../../src/contract/enforcement/index.js";
import { type AccessRequest, parsePolicy } from "../../src/contract/index.js";
import { type Database, openDatabase } from "../../src/store/index.js";
import { backends, sqliteBackend } from "../helpers/databases.js";

const EX = "https://example.org/";
const DAY = 86_400_000;
const NOW = Date.now();
const inDays = (n: number) => new Date(NOW + n * DAY).toISOString();

const c = (uid: string, leftOperand: string, operator: string, rightOperand: unknown) => ({
  uid: `ex:c/${uid}`,
  leftOperand,
  operator,
  rightOperand,
});
const at = (iso: string) => ({ "@value": iso, "@type": "xsd:dateTime" });

/** The pooling agreement of the fixtures, with dates around today and a count chosen per test. */
function poolingPolicy(options: { trainCount?: number; readCount?: number } = {}) {
  return {
    "@context": [
      "http://www.w3.org/ns/odrl.jsonld",
      { dpv: "https://w3id.org/dpv#", lp: "https://w3id.org/learnpool/odrl/", ex: EX },
    ],
    "@type": "Agreement",
    profile: "https://w3id.org/learnpool/odrl/",
    assigner: "ex:univ-lyon",
    assignee: "ex:lab-ai",
    target: "ex:datasets/moodle-traces",
    permission: [
      {
        uid: "ex:rules/train",
        action: "derive",
        constraint: [
          c("purpose", "purpose", "isA", { "@id": "dpv:ResearchAndDevelopment" }),
          c("until", "dateTime", "lt", at(inDays(300))),
          c("where", "spatial", "isPartOf", { "@id": "lp:EEA" }),
          c("count", "count", "lteq", options.trainCount ?? 100),
          c("k", "lp:minK", "gteq", 5),
        ],
        duty: [
          {
            uid: "ex:duties/delete",
            action: "delete",
            constraint: [{ leftOperand: "dateTime", operator: "lteq", rightOperand: at(inDays(30)) }],
            consequence: [{ uid: "ex:duties/compensate", action: "compensate" }],
          },
          { uid: "ex:duties/anonymize", action: "anonymize" },
        ],
      },
      {
        uid: "ex:rules/release",
        action: "distribute",
        constraint: [
          c("release", "lp:releaseType", "isAnyOf", [{ "@id": "lp:Model" }, { "@id": "lp:Metrics" }]),
        ],
        duty: [{ uid: "ex:duties/next", action: "nextPolicy", target: "ex:policies/model-terms" }],
      },
      {
        uid: "ex:rules/read",
        action: "read",
        constraint: [
          c("purpose-read", "purpose", "isAnyOf", [{ "@id": "dpv:AcademicResearch" }]),
          ...(options.readCount ? [c("read-count", "count", "lteq", options.readCount)] : []),
        ],
      },
    ],
    prohibition: [
      {
        uid: "ex:rules/no-marketing",
        action: "use",
        constraint: [c("marketing", "purpose", "isA", { "@id": "dpv:Marketing" })],
        remedy: [{ uid: "ex:remedies/delete", action: "delete" }],
      },
    ],
    obligation: [{ uid: "ex:duties/inform", action: "inform", assignee: "ex:lab-ai" }],
  };
}

const request = (action: string, context: Record<string, string> = {}): AccessRequest => ({
  action: `http://www.w3.org/ns/odrl/2/${action}`,
  target: `${EX}datasets/moodle-traces`,
  assignee: `${EX}lab-ai`,
  context: {
    purpose: "dpv:AcademicResearch",
    spatial: "FR",
    "lp:minK": "10",
    "lp:releaseType": "lp:Model",
    ...context,
  },
});

interface World {
  db: Database;
  audit: AuditLog;
  registry: AgreementRegistry;
  enforcement: PolicyEnforcement;
  keys: Record<string, ParticipantKeyPair>;
  agreement(policy?: Record<string, unknown>, options?: { notAfter?: string }): Promise<string>;
  decisions(): Promise<Record<string, unknown>[]>;
}

async function world(db: Database): Promise<World> {
  const audit = new AuditLog(db);
  const registry = new AgreementRegistry(db, audit);
  const keys: Record<string, ParticipantKeyPair> = {};
  const parties = [
    ["op", "operator", `${EX}operator`],
    ["univ", "provider", `${EX}univ-lyon`],
    ["lab", "consumer", `${EX}lab-ai`],
    ["other", "consumer", `${EX}other-lab`],
  ] as const;
  for (const [id, role, iri] of parties) {
    await db.run("INSERT INTO stores (id, title, created_at) VALUES (?, ?, ?)", [
      id,
      id,
      new Date().toISOString(),
    ]);
    await registry.participants.register({ id, role, iri }, "test");
    keys[id] = await generateParticipantKey();
    await registry.participants.addKey(id, keys[id]!.publicJwk, "test");
  }
  const enforcement = new PolicyEnforcement(db, audit, registry, registry.participants);
  return {
    db,
    audit,
    registry,
    enforcement,
    keys,
    async agreement(policy = poolingPolicy(), options = {}) {
      const made = await registry.propose({
        proposedBy: "lab",
        parties: [
          { participant: "op", role: "operator" },
          { participant: "univ", role: "provider" },
          { participant: "lab", role: "consumer" },
        ],
        policy,
        notBefore: new Date(NOW - DAY).toISOString(),
        notAfter: options.notAfter ?? inDays(365),
      });
      for (const p of ["op", "univ", "lab"])
        await registry.sign(
          made.id,
          p,
          await signAgreement(made.canonical, keys[p]!.privateJwk, keys[p]!.kid),
        );
      return made.id;
    },
    async decisions() {
      return (await audit.list({ limit: 100_000 }))
        .filter((e) => e.action === "contract.decision")
        .map((e) => e.details);
    },
  };
}

for (const backend of await backends()) {
  describe(`enforcement (${backend.name})`, () => {
    let w: World;
    beforeAll(async () => {
      w = await world(await backend.open());
    });
    afterAll(async () => {
      await w.db.close();
    });

    it("decides each step of the data's path, and audits each decision once", async () => {
      const id = await w.agreement();
      const before = (await w.decisions()).length;
      const steps: [string, string, string][] = [
        ["catalog-access", "read", "Permit"],
        ["negotiation", "read", "Permit"],
        ["transfer", "read", "Permit"],
        ["model-release", "distribute", "Permit"],
        ["dataset-build", "derive", "Permit"],
        ["training-admission", "derive", "Permit"],
        // The anonymize duty the build opened is still open: nothing leaves.
        ["export-download", "distribute", "Deny"],
      ];
      for (const [step, action, expected] of steps) {
        const d = await w.enforcement.decide({
          step: step as never,
          agreementId: id,
          actor: "lab",
          request: request(action),
        });
        expect(d.decision, `${step}: ${d.reason}`).toBe(expected);
      }
      const events = (await w.decisions()).slice(before);
      expect(events.map((e) => e.step)).toEqual(steps.map((s) => s[0]));
      expect(events.map((e) => e.decision)).toEqual(steps.map((s) => s[2]));
      for (const e of events) {
        expect(Object.keys(e).sort()).toEqual(
          ["action", "actor", "agreement", "constraint", "decision", "reason", "rule", "step", "opened"]
            .filter((k) => k !== "opened" || "opened" in e)
            .sort(),
        );
        expect(e.agreement).toBe(id);
      }
      expect(events[4]!.rule).toBe(`${EX}rules/train`);
      expect(String(events[6]!.reason)).toContain("anonymize duty");
    });

    it("counts uses per permission and opens the duties of the permit once", async () => {
      const id = await w.agreement();
      const first = await w.enforcement.decide({
        step: "dataset-build",
        agreementId: id,
        actor: "lab",
        request: request("derive"),
      });
      expect(first.decision).toBe("Permit");
      expect(first.openedDuties.map((d) => [d.duty, d.kind, d.assignee]).sort()).toEqual([
        [`${EX}duties/anonymize`, "anonymization", "lab"],
        [`${EX}duties/delete`, "deletion", "lab"],
        [`${EX}duties/inform`, "inform", "lab"],
      ]);
      expect(first.openedDuties.find((d) => d.kind === "deletion")!.due).toBe(inDays(30));
      const second = await w.enforcement.decide({
        step: "training-admission",
        agreementId: id,
        actor: "lab",
        request: request("derive"),
      });
      expect(second.openedDuties).toEqual([]);
      const rows = await w.db.all<{ rule: string; count: number }>(
        "SELECT rule, count FROM contract_usage WHERE agreement_id = ?",
        [id],
      );
      expect(rows.map((r) => [r.rule, Number(r.count)])).toEqual([[`${EX}rules/train`, 2]]);
    });

    it("reads and compiles an agreement's policy once, then decides from the cache", async () => {
      const id = await w.agreement();
      let reads = 0;
      const counting: AgreementSource = {
        get: (x) => w.registry.get(x),
        status: (x, t) => w.registry.status(x, t),
        policyOf: async (x) => {
          reads++;
          return w.registry.policyOf(x);
        },
      };
      const e = new PolicyEnforcement(w.db, w.audit, counting, w.registry.participants);
      for (let i = 0; i < 3; i++)
        expect(
          (await e.decide({ step: "transfer", agreementId: id, actor: "lab", request: request("read") }))
            .decision,
        ).toBe("Permit");
      expect(reads).toBe(1);
    });

    it("a prohibited purpose is denied with the prohibition's remedies and counts nothing", async () => {
      const id = await w.agreement();
      const d = await w.enforcement.decide({
        step: "dataset-build",
        agreementId: id,
        actor: "lab",
        request: request("derive", { purpose: "dpv:PersonalisedAdvertising" }),
      });
      expect(d.decision).toBe("Deny");
      expect(d.decidingRule).toBe(`${EX}rules/no-marketing`);
      expect(d.remedies).toEqual([`${EX}remedies/delete`]);
      expect(await w.db.all("SELECT * FROM contract_usage WHERE agreement_id = ?", [id])).toEqual([]);
    });

    it("concurrent decisions never exceed an ODRL count", async () => {
      const id = await w.agreement(poolingPolicy({ trainCount: 5 }));
      const results = await Promise.all(
        Array.from({ length: 24 }, () =>
          w.enforcement.decide({
            step: "dataset-build",
            agreementId: id,
            actor: "lab",
            request: request("derive"),
          }),
        ),
      );
      expect(results.filter((r) => r.decision === "Permit")).toHaveLength(5);
      const denied = results.filter((r) => r.decision === "Deny");
      expect(denied).toHaveLength(19);
      expect(denied.every((r) => r.decidingConstraint === `${EX}c/count`)).toBe(true);
      const row = await w.db.one<{ count: number }>(
        "SELECT count FROM contract_usage WHERE agreement_id = ? AND rule = ?",
        [id, `${EX}rules/train`],
      );
      expect(Number(row!.count)).toBe(5);
      expect((await w.decisions()).filter((e) => e.agreement === id)).toHaveLength(24);
    });

    it("concurrent decisions through two services on one database (two processes' view) stay within the count", async () => {
      const id = await w.agreement(poolingPolicy({ trainCount: 3 }));
      const other = new PolicyEnforcement(w.db, w.audit, w.registry, w.registry.participants);
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? other : w.enforcement).decide({
            step: "training-admission",
            agreementId: id,
            actor: "lab",
            request: request("derive"),
          }),
        ),
      );
      expect(results.filter((r) => r.decision === "Permit")).toHaveLength(3);
    });

    it("expiry and termination deny with the registry's reason", async () => {
      const id = await w.agreement(poolingPolicy(), { notAfter: inDays(10) });
      const late = await w.enforcement.decide({
        step: "dataset-build",
        agreementId: id,
        actor: "lab",
        request: request("derive"),
        at: inDays(11),
      });
      expect(late.decision).toBe("Deny");
      expect(late.reason).toMatch(/is expired: expired at/);

      const ok = await w.enforcement.decide({
        step: "transfer",
        agreementId: id,
        actor: "lab",
        request: request("read"),
      });
      expect(ok.decision).toBe("Permit");
      const agreement = (await w.registry.get(id))!;
      const jws = await signEvent(
        terminationStatement({ id, digest: agreement.digest }, "the study ended"),
        w.keys.univ!.privateJwk,
        w.keys.univ!.kid,
      );
      await w.registry.terminate(id, "univ", jws);
      const after = await w.enforcement.decide({
        step: "transfer",
        agreementId: id,
        actor: "lab",
        request: request("read"),
        at: new Date(Date.now() + 1000),
      });
      expect(after.decision).toBe("Deny");
      expect(after.reason).toMatch(/is terminated: terminated by univ .*the study ended/);
      const last = (await w.decisions()).at(-1)!;
      expect(last.decision).toBe("Deny");
    });

    it("fails closed: unknown agreement, unknown step, a database error — each denied and audited", async () => {
      const unknown = await w.enforcement.decide({
        step: "transfer",
        agreementId: "urn:uuid:00000000-0000-4000-8000-000000000000",
        actor: "lab",
        request: request("read"),
      });
      expect(unknown.decision).toBe("Deny");
      expect(unknown.reason).toMatch(/^policy engine failure: no agreement/);
      expect((await w.decisions()).at(-1)!.reason).toBe(unknown.reason);

      const id = await w.agreement();
      const step = await w.enforcement.decide({
        step: "exfiltrate" as never,
        agreementId: id,
        actor: "lab",
        request: request("read"),
      });
      expect(step.reason).toBe("policy engine failure: unknown step exfiltrate");

      const bad = await w.enforcement.decide({
        step: "transfer",
        agreementId: id,
        actor: "lab",
        request: null as unknown as AccessRequest,
      });
      expect(bad.decision).toBe("Deny");
    });

    it("fails closed on a database error", async () => {
      const db = await backend.open();
      const other = await world(db);
      const id = await other.agreement();
      await db.exec("DROP TABLE contract_step_grants; DROP TABLE contract_usage");
      const d = await other.enforcement.decide({
        step: "transfer",
        agreementId: id,
        actor: "lab",
        request: request("read"),
      });
      expect(d.decision).toBe("Deny");
      expect(d.reason).toMatch(/^policy engine failure: /);
      expect((await other.decisions()).at(-1)!.reason).toBe(d.reason);
      await db.close();
    });

    it("fails closed on a policy that does not parse, an engine exception, and an audit that fails", async () => {
      const id = await w.agreement();
      const broken = (policyOf: AgreementSource["policyOf"]): AgreementSource => ({
        get: (x) => w.registry.get(x),
        status: (x, t) => w.registry.status(x, t),
        policyOf,
      });
      const unparsable = new PolicyEnforcement(
        w.db,
        w.audit,
        broken(async () => parsePolicy("{ not json")),
        w.registry.participants,
      );
      const a = await unparsable.decide({
        step: "transfer",
        agreementId: id,
        actor: "lab",
        request: request("read"),
      });
      expect(a.decision).toBe("Deny");
      expect(a.reason).toMatch(/^policy engine failure: malformed JSON/);
      expect((await w.decisions()).at(-1)!.reason).toBe(a.reason);

      const throwing = new PolicyEnforcement(
        w.db,
        w.audit,
        broken(async () => ({ permissions: null }) as never),
        w.registry.participants,
      );
      const b = await throwing.decide({
        step: "transfer",
        agreementId: id,
        actor: "lab",
        request: request("read"),
      });
      expect(b.decision).toBe("Deny");
      expect(b.reason).toMatch(/^policy engine failure: /);

      const noAudit = new PolicyEnforcement(
        w.db,
        { append: async () => Promise.reject(new Error("disk full")) } as unknown as AuditLog,
        w.registry,
        w.registry.participants,
      );
      const c = await noAudit.decide({
        step: "transfer",
        agreementId: id,
        actor: "lab",
        request: request("read"),
      });
      expect(c.decision).toBe("Deny");
      expect(c.reason).toBe("policy engine failure: disk full");
      // The permit was rolled back with its audit event: nothing was counted.
      expect(await w.db.all("SELECT * FROM contract_usage WHERE agreement_id = ?", [id])).toEqual([]);
    });

    describe("deletion duty", () => {
      let id: string;
      let dutyId: string;
      const deletion = () => ({
        agreement: id,
        duty: `${EX}duties/delete`,
        deletedAt: new Date().toISOString(),
        deleted: ["dataset moodle-traces v1", "features.parquet"],
      });
      beforeAll(async () => {
        id = await w.agreement();
        const d = await w.enforcement.decide({
          step: "dataset-build",
          agreementId: id,
          actor: "lab",
          request: request("derive"),
        });
        dutyId = d.openedDuties.find((x) => x.kind === "deletion")!.id;
      });

      it("refuses evidence signed with an unregistered key", async () => {
        const { privateKey } = await generateKeyPair("Ed25519", { extractable: true });
        const stranger = await exportJWK(privateKey);
        await expect(
          w.enforcement.fulfil(dutyId, { by: "lab", evidence: await signDeletion(deletion(), stranger) }),
        ).rejects.toThrow(/does not verify with any registered key/);
        await expect(
          w.enforcement.fulfil(dutyId, {
            by: "lab",
            evidence: await signDeletion(deletion(), stranger, w.keys.lab!.kid),
          }),
        ).rejects.toThrow(/does not verify/);
      });

      it("refuses evidence signed by another party, or submitted by one", async () => {
        const byUniv = await signDeletion(deletion(), w.keys.univ!.privateJwk);
        await expect(w.enforcement.fulfil(dutyId, { by: "lab", evidence: byUniv })).rejects.toThrow(
          /not a registered key of the duty's assignee/,
        );
        const byLab = await signDeletion(deletion(), w.keys.lab!.privateJwk);
        await expect(w.enforcement.fulfil(dutyId, { by: "univ", evidence: byLab })).rejects.toThrow(
          /only the duty's assignee \(lab\)/,
        );
      });

      it("refuses a tampered payload, another duty, a non-canonical payload", async () => {
        const jws = await signDeletion(deletion(), w.keys.lab!.privateJwk);
        const [h, p, s] = jws.split(".");
        const payload = JSON.parse(Buffer.from(p!, "base64url").toString("utf8"));
        payload.deleted = ["nothing much"];
        const tampered = `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${s}`;
        await expect(w.enforcement.fulfil(dutyId, { by: "lab", evidence: tampered })).rejects.toThrow(
          /does not verify/,
        );
        const otherDuty = await signDeletion(
          { ...deletion(), duty: `${EX}remedies/delete` },
          w.keys.lab!.privateJwk,
        );
        await expect(w.enforcement.fulfil(dutyId, { by: "lab", evidence: otherDuty })).rejects.toThrow(
          /names duty/,
        );
        const { CompactSign, importJWK } = await import("jose");
        const loose = await new CompactSign(new TextEncoder().encode(JSON.stringify(deletion(), null, 1)))
          .setProtectedHeader({ alg: "EdDSA", kid: w.keys.lab!.kid })
          .sign(await importJWK(w.keys.lab!.privateJwk, "EdDSA"));
        await expect(w.enforcement.fulfil(dutyId, { by: "lab", evidence: loose })).rejects.toThrow(
          /canonical/,
        );
        const refused = (await w.audit.list({ limit: 100_000 })).filter(
          (e) => e.action === "contract.duty.evidence-refused",
        );
        expect(refused.length).toBeGreaterThanOrEqual(3);
        expect((await w.enforcement.duty(dutyId))!.state).toBe("open");
      });

      it("is fulfilled by the assignee's signed evidence, then closed for good", async () => {
        const jws = await signDeletion(deletion(), w.keys.lab!.privateJwk);
        const done = await w.enforcement.fulfil(dutyId, { by: "lab", evidence: { jws } });
        expect(done.state).toBe("fulfilled");
        expect((done.evidence as { statement: { deleted: string[] } }).statement.deleted).toHaveLength(2);
        const duty = (await w.enforcement.duty(dutyId))!;
        expect(duty.history.map((h) => h.state)).toEqual(["open", "fulfilled"]);
        await expect(w.enforcement.fulfil(dutyId, { by: "lab", evidence: { jws } })).rejects.toThrow(
          /already fulfilled/,
        );
        // The sweep leaves a fulfilled duty alone.
        const swept = await w.enforcement.sweep(inDays(40));
        expect(swept.violated.map((d) => d.id)).not.toContain(dutyId);
      });
    });

    it("an overdue deletion is violated, its consequence opened, and the permission void", async () => {
      const id = await w.agreement();
      const d = await w.enforcement.decide({
        step: "dataset-build",
        agreementId: id,
        actor: "lab",
        request: request("derive"),
      });
      const duty = d.openedDuties.find((x) => x.kind === "deletion")!;
      expect((await w.enforcement.sweep(inDays(29))).violated.map((v) => v.id)).not.toContain(duty.id);
      const swept = await w.enforcement.sweep(inDays(31));
      expect(swept.violated.map((v) => v.id)).toContain(duty.id);
      const consequence = swept.opened.find((o) => o.agreement === id)!;
      expect(consequence.duty).toBe(`${EX}duties/compensate`);
      expect(consequence.origin).toBe(`${EX}duties/delete`);
      expect(consequence.assignee).toBe("lab");
      const violated = (await w.audit.list({ limit: 100_000 })).filter(
        (e) => e.action === "contract.duty.violated" && e.subject === id,
      );
      expect(violated).toHaveLength(1);
      expect(violated[0]!.details.consequences).toEqual([consequence.id]);
      // A violated duty voids the permission it came from (ODRL; the evaluator reads the duty's state).
      const after = await w.enforcement.decide({
        step: "training-admission",
        agreementId: id,
        actor: "lab",
        request: request("derive"),
        at: inDays(1),
      });
      expect(after.decision).toBe("Deny");
      expect(after.reason).toContain("was violated");
      // Late evidence cannot undo it.
      const jws = await signDeletion(
        { agreement: id, duty: `${EX}duties/delete`, deletedAt: new Date().toISOString(), deleted: ["x"] },
        w.keys.lab!.privateJwk,
      );
      await expect(w.enforcement.fulfil(duty.id, { by: "lab", evidence: jws })).rejects.toThrow(
        /already violated/,
      );
    });

    it("an open anonymize duty blocks model release until a risk report meets the agreed level", async () => {
      const id = await w.agreement();
      const build = await w.enforcement.decide({
        step: "dataset-build",
        agreementId: id,
        actor: "lab",
        request: request("derive"),
      });
      const anonymize = build.openedDuties.find((x) => x.kind === "anonymization")!;
      const blocked = await w.enforcement.decide({
        step: "model-release",
        agreementId: id,
        actor: "lab",
        request: request("distribute"),
      });
      expect(blocked.decision).toBe("Deny");
      expect(blocked.decidingRule).toBe(`${EX}duties/anonymize`);
      await expect(
        w.enforcement.fulfil(anonymize.id, { by: "op", evidence: { k: 3, averageRisk: 0.2 } }),
      ).rejects.toThrow(/k = 3 is below the agreed minimum 5/);
      await expect(
        w.enforcement.fulfil(anonymize.id, { by: "univ", evidence: { k: 30, averageRisk: 0.01 } }),
      ).rejects.toThrow(/only the duty's assignee/);
      const done = await w.enforcement.fulfil(anonymize.id, {
        by: "op",
        evidence: { report: { k: 12, averageRisk: 0.05, highestRisk: 0.08 } },
      });
      expect(done.state).toBe("fulfilled");
      const released = await w.enforcement.decide({
        step: "model-release",
        agreementId: id,
        actor: "lab",
        request: request("distribute"),
      });
      expect(released.decision).toBe("Permit");
    });

    it("nextPolicy: returned for model release, fulfilled when the release records it", async () => {
      const id = await w.agreement();
      expect(await w.enforcement.nextPolicyFor(id)).toEqual([
        {
          duty: `${EX}duties/next`,
          from: `${EX}rules/release`,
          policy: `${EX}policies/model-terms`,
          dutyId: null,
          state: "not-opened",
        },
      ]);
      const release = await w.enforcement.decide({
        step: "model-release",
        agreementId: id,
        actor: "lab",
        request: request("distribute"),
      });
      expect(release.decision).toBe("Permit");
      const [next] = await w.enforcement.nextPolicyFor(id);
      expect(next!.state).toBe("open");
      const wrong = await w.enforcement.recordRelease(id, {
        release: "model:1",
        policy: `${EX}other`,
        by: "op",
      });
      expect(wrong).toEqual([]);
      const done = await w.enforcement.recordRelease(id, {
        release: "model:dropout-v1",
        policy: `${EX}policies/model-terms`,
        by: "op",
      });
      expect(done.map((d) => d.state)).toEqual(["fulfilled"]);
      expect((await w.enforcement.nextPolicyFor(id))[0]!.state).toBe("fulfilled");
    });

    it("inform is fulfilled by a record of who was informed and when", async () => {
      const id = await w.agreement();
      const d = await w.enforcement.decide({
        step: "dataset-build",
        agreementId: id,
        actor: "lab",
        request: request("derive"),
      });
      const inform = d.openedDuties.find((x) => x.kind === "inform")!;
      await expect(
        w.enforcement.fulfil(inform.id, { by: "lab", evidence: { informed: [] } }),
      ).rejects.toThrow(/inform record/);
      const done = await w.enforcement.fulfil(inform.id, {
        by: "lab",
        evidence: {
          informed: ["learners of univ-lyon", "univ-lyon DPO"],
          at: new Date().toISOString(),
          how: "portal",
        },
      });
      expect(done.state).toBe("fulfilled");
      expect(await w.enforcement.duties({ agreements: [id], state: "fulfilled" })).toHaveLength(1);
    });

    it("a reported prohibition violation opens its remedies", async () => {
      const id = await w.agreement();
      const remedies = await w.enforcement.reportProhibitionViolation(id, {
        prohibition: `${EX}rules/no-marketing`,
        actor: "op",
        note: "the lab's newsletter used the cohort",
      });
      expect(remedies.map((r) => [r.duty, r.kind, r.assignee])).toEqual([
        [`${EX}remedies/delete`, "deletion", "lab"],
      ]);
    });

    it("the transfer hook decides each page and denies once the count is spent", async () => {
      const id = await w.agreement(poolingPolicy({ readCount: 3 }));
      const none = await w.enforcement.beforeTransferPage(id);
      expect(none).toMatchObject({ permit: false });
      expect(none.reason).toMatch(/no transfer was permitted/);
      const start = await w.enforcement.decide({
        step: "transfer",
        agreementId: id,
        actor: "lab",
        request: request("read"),
      });
      expect(start.decision).toBe("Permit");
      expect((await w.enforcement.beforeTransferPage(id)).permit).toBe(true);
      expect((await w.enforcement.beforeTransferPage(id)).permit).toBe(true);
      const spent = await w.enforcement.beforeTransferPage(id);
      expect(spent.permit).toBe(false);
      expect(spent.reason).toContain("ex:c/read-count".replace("ex:", EX));
      const events = (await w.decisions()).filter((e) => e.agreement === id);
      expect(events.map((e) => e.decision)).toEqual(["Deny", "Permit", "Permit", "Permit", "Deny"]);
      expect(events.every((e) => e.step === "transfer")).toBe(true);
    });
  });
}

describe("enforcement rules (pure)", () => {
  it("reads a duty's due date from its dateTime constraints", () => {
    const policy = parsePolicy(JSON.stringify(poolingPolicy()));
    const del = policy.permissions[0]!.duties[0]!;
    expect(dueDateOf(del.constraints)).toBe(inDays(30));
    expect(dueDateOf([])).toBeUndefined();
  });

  it("checks a risk report against the level", () => {
    const level = { minK: 5, maxAverageRisk: 0.2, source: "test" };
    expect(meetsAnonymizationLevel({ k: 5, averageRisk: 0.2 }, level)).toEqual({ ok: true });
    expect(meetsAnonymizationLevel({ k: 5, averageRisk: 0.3 }, level).ok).toBe(false);
    expect(meetsAnonymizationLevel({ k: "5" }, level).ok).toBe(false);
    expect(meetsAnonymizationLevel({ k: 50, averageRisk: 0 }, undefined).ok).toBe(false);
  });
});

describe("learnpool decide / duty (CLI wiring)", () => {
  async function run(args: string[]): Promise<{ out: string; err: string; code: number }> {
    const { Command } = await import("commander");
    const { enforcementCommands } = await import("../../src/cli/enforcement.js");
    const root = new Command("learnpool").exitOverride();
    for (const command of enforcementCommands()) root.addCommand(command);
    let out = "";
    let err = "";
    const write = (sink: "out" | "err") => (chunk: string | Uint8Array) => {
      if (sink === "out") out += String(chunk);
      else err += String(chunk);
      return true;
    };
    const spies = [
      vi.spyOn(process.stdout, "write").mockImplementation(write("out")),
      vi.spyOn(process.stderr, "write").mockImplementation(write("err")),
    ];
    process.exitCode = 0;
    try {
      await root.parseAsync(["node", "learnpool", ...args]);
    } finally {
      for (const s of spies) s.mockRestore();
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return { out, err, code };
  }

  it("decides, lists, fulfils and sweeps on a database file", async () => {
    const location = await sqliteBackend.location();
    const db = await openDatabase(location);
    const w = await world(db);
    const id = await w.agreement();
    const dir = mkdtempSync(join(tmpdir(), "learnpool-enforcement-"));
    const requestFile = join(dir, "request.json");
    writeFileSync(
      requestFile,
      JSON.stringify({
        action: "derive",
        target: `${EX}datasets/moodle-traces`,
        assignee: `${EX}lab-ai`,
        context: { purpose: "dpv:AcademicResearch", spatial: "FR", "lp:minK": 10 },
      }),
    );
    const permit = await run([
      "decide",
      "--agreement",
      id,
      "--step",
      "dataset-build",
      "--request",
      requestFile,
      "--db",
      location,
    ]);
    expect(permit.code, permit.err).toBe(0);
    expect(JSON.parse(permit.out).decision).toBe("Permit");
    const listed = JSON.parse(
      (await run(["duty", "list", "--agreement", id, "--state", "open", "--db", location])).out,
    );
    expect(listed.map((d: { kind: string }) => d.kind).sort()).toEqual([
      "anonymization",
      "deletion",
      "inform",
    ]);
    const del = listed.find((d: { kind: string }) => d.kind === "deletion");
    const evidence = join(dir, "deletion.jws");
    writeFileSync(
      evidence,
      await signDeletion(
        {
          agreement: id,
          duty: `${EX}duties/delete`,
          deletedAt: new Date().toISOString(),
          deleted: ["all copies"],
        },
        w.keys.lab!.privateJwk,
      ),
    );
    const refused = await run([
      "duty",
      "fulfil",
      del.id,
      "--as",
      "univ",
      "--evidence",
      evidence,
      "--db",
      location,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/refused \(403\)/);
    const done = await run([
      "duty",
      "fulfil",
      del.id,
      "--as",
      "lab",
      "--evidence",
      evidence,
      "--db",
      location,
    ]);
    expect(done.code, done.err).toBe(0);
    expect(JSON.parse(done.out).state).toBe("fulfilled");
    const swept = await run(["duty", "sweep", "--at", inDays(400), "--db", location]);
    expect(JSON.parse(swept.out).violated).toEqual([]);
    const denied = await run([
      "decide",
      "--agreement",
      id,
      "--step",
      "export-download",
      "--request",
      requestFile,
      "--db",
      location,
    ]);
    expect(denied.code).toBe(1);
    await db.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(location, { force: true });
  });
});
