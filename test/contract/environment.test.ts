/**
 * The contract environment's parts that the end-to-end flow (test/server/contract-flow.test.ts) does
 * not single out: signing keys from a directory, settings from the process's variables, the catalog as
 * DSP offers, and the engine's decisions on an offer (negotiation) and on a transfer.
 */
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ContractEnvironment,
  catalogOffers,
  contractEnvironment,
  contractSettingsFromEnvironment,
  generateParticipantKey,
  keySigner,
  type ParticipantKeyPair,
  parsePolicy,
  readSigningKeys,
  signAgreement,
  transferRequestOf,
  verifyAgreementSignature,
} from "../../src/contract/index.js";
import { Lrs } from "../../src/lrs/index.js";
import type { Database } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";

const ODRL = "http://www.w3.org/ns/odrl/2/";
const iri = (id: string) => `urn:learnpool:participant:${id}`;

describe("signing keys and settings", () => {
  it("reads <participant>.jwk private keys, refuses a file that is not one without repeating it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "learnpool-keys-"));
    const op = await generateParticipantKey();
    writeFileSync(join(dir, "op.jwk"), JSON.stringify(op.privateJwk), { mode: 0o600 });
    writeFileSync(join(dir, "README.txt"), "not a key");
    const keys = readSigningKeys(dir);
    expect([...keys.keys()]).toEqual(["op"]);

    const signer = keySigner(keys);
    const jws = await signer("op", '{"id":"a"}');
    expect(jws).toBeDefined();
    expect((await verifyAgreementSignature(jws ?? "", '{"id":"a"}', op.publicJwk)).ok).toBe(true);
    expect(await signer("prov", '{"id":"a"}')).toBeUndefined();

    // A public key where a private one is expected: refused by file name, its content not echoed.
    writeFileSync(join(dir, "prov.jwk"), JSON.stringify(op.publicJwk));
    chmodSync(join(dir, "prov.jwk"), 0o600);
    let message = "";
    try {
      readSigningKeys(dir);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/signing key prov\.jwk is not a private Ed25519 JWK/);
    expect(message).not.toContain(op.publicJwk.x);
  });

  it("refuses, by file name, a private key file readable or writable by group or others (as ssh does)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "learnpool-keys-mode-"));
    const op = await generateParticipantKey();
    const file = join(dir, "op.jwk");
    writeFileSync(file, JSON.stringify(op.privateJwk));
    for (const mode of [0o644, 0o640, 0o604, 0o660, 0o602, 0o620]) {
      chmodSync(file, mode);
      let message = "";
      try {
        readSigningKeys(dir);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, mode.toString(8)).toMatch(
        new RegExp(
          `signing key op\\.jwk is accessible by group or others \\(mode 0${mode.toString(8)}\\).*chmod 600`,
        ),
      );
      // Named, never shown.
      expect(message).not.toContain(op.privateJwk.d as string);
      expect(message).not.toContain(op.privateJwk.x as string);
      expect(() => contractSettingsFromEnvironment({ LEARNPOOL_SIGNING_KEYS: dir })).toThrow(/op\.jwk/);
    }
    for (const mode of [0o600, 0o400]) {
      chmodSync(file, mode);
      expect([...readSigningKeys(dir).keys()]).toEqual(["op"]);
    }
  });

  it("takes the DSP address, peers, keys and page size from the process's variables", async () => {
    const dir = mkdtempSync(join(tmpdir(), "learnpool-settings-"));
    const lab = await generateParticipantKey();
    writeFileSync(join(dir, "lab.jwk"), JSON.stringify(lab.privateJwk), { mode: 0o600 });
    const peers = join(dir, "peers.json");
    writeFileSync(
      peers,
      JSON.stringify([{ endpoint: "https://prov.example/dsp", key: "k", secret: "s", store: "prov" }]),
    );
    const settings = contractSettingsFromEnvironment({
      LEARNPOOL_PUBLIC_URL: "https://lab.example/",
      LEARNPOOL_DSP_PEERS: peers,
      LEARNPOOL_SIGNING_KEYS: dir,
      LEARNPOOL_DSP_PAGE_SIZE: "50",
    });
    expect(settings.dspBaseUrl).toBe("https://lab.example/dsp");
    expect(settings.peers?.[0]?.store).toBe("prov");
    expect([...(settings.signingKeys?.keys() ?? [])]).toEqual(["lab"]);
    expect(settings.pageSize).toBe(50);
    expect(contractSettingsFromEnvironment({}).dspBaseUrl).toBe("http://localhost:8080/dsp");
    expect(() => contractSettingsFromEnvironment({ LEARNPOOL_DSP_PAGE_SIZE: "0" })).toThrow(/PAGE_SIZE/);
  });

  it("asks a transfer for the agreement's dataset and declared purpose, received by the consumer", () => {
    const policy = parsePolicy(
      JSON.stringify({
        "@context": "http://www.w3.org/ns/odrl.jsonld",
        "@type": "Agreement",
        uid: "urn:agreement:1",
        target: "urn:uuid:00000000-0000-4000-8000-000000000001",
        assigner: iri("prov"),
        assignee: iri("lab"),
        permission: [
          {
            action: "use",
            constraint: [
              { leftOperand: "purpose", operator: "isA", rightOperand: "dpv:ResearchAndDevelopment" },
            ],
          },
        ],
        prohibition: [
          {
            action: "use",
            constraint: [{ leftOperand: "purpose", operator: "isA", rightOperand: "dpv:Marketing" }],
          },
        ],
      }),
      { syntax: "jsonld" },
    );
    const request = transferRequestOf(policy, iri("lab"));
    expect(request).toMatchObject({
      action: `${ODRL}use`,
      target: "urn:uuid:00000000-0000-4000-8000-000000000001",
      assignee: iri("lab"),
      context: { recipient: iri("lab") },
    });
    // The permission's purpose, never the prohibited one.
    expect(String(request.context?.purpose)).toMatch(/ResearchAndDevelopment$/);
  });
});

for (const backend of await backends()) {
  describe(`the environment's adapters (${backend.name})`, () => {
    let db: Database;
    let lrs: Lrs;
    let env: ContractEnvironment;
    const keys: Record<string, ParticipantKeyPair> = {};
    const decisions = async () =>
      (await lrs.audit.list({ limit: 100_000 }))
        .filter((e) => e.action === "contract.decision" && e.details.step === "negotiation")
        .map((e) => e.details);

    beforeAll(async () => {
      db = await backend.open();
      lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
      for (const id of ["op", "prov", "lab"]) {
        await lrs.tenancy.ensureStore(id, id, "test");
        keys[id] = await generateParticipantKey();
      }
      env = contractEnvironment(lrs, {
        dspBaseUrl: "http://127.0.0.1:1/dsp",
        signingKeys: new Map([["op", keys.op!.privateJwk]]),
      });
      await env.participants.register({ id: "op", role: "operator" }, "test");
      await env.participants.register({ id: "prov", role: "provider" }, "test");
      await env.participants.register({ id: "lab", role: "consumer" }, "test");
      for (const id of ["op", "prov", "lab"]) await env.participants.addKey(id, keys[id]!.publicJwk, "test");
    });
    afterAll(async () => {
      await env.dsp.idle();
      await lrs.close();
      await db.close();
    });

    const offer = (uid: string, extra: Record<string, unknown> = {}, constraint: unknown[] = []) => ({
      "@context": "http://www.w3.org/ns/odrl.jsonld",
      "@type": "Offer",
      uid,
      assigner: iri("prov"),
      permission: [{ action: "use", constraint }],
      ...extra,
    });
    const publish = (policy: Record<string, unknown>) =>
      env.catalog.publish(
        { storeId: "prov", description: { title: "T", description: "D" }, offer: policy },
        { actor: "test", storeId: "prov" },
      );

    it("offers the current version's offer only: a withdrawn dataset's offer is gone", async () => {
      const entry = await publish(offer("urn:offer:env-1"));
      const offers = catalogOffers(env.catalog);
      expect(await offers.offer("urn:offer:env-1")).toMatchObject({
        providerId: "prov",
        datasetId: entry.dataset,
      });
      await env.catalog.withdraw(entry.dataset, "gone", { actor: "test", storeId: "prov" });
      expect(await offers.offer("urn:offer:env-1")).toBeUndefined();
      expect(await offers.offer("urn:offer:none")).toBeUndefined();
    });

    it("decides an offer for a consumer: another assignee denies, a constraint unknown before use is left for later", async () => {
      const before = (await decisions()).length;
      const other = await publish(offer("urn:offer:env-other", { assignee: iri("someone-else") }));
      const minK = await publish(
        offer("urn:offer:env-mink", {}, [
          { leftOperand: "purpose", operator: "isA", rightOperand: "dpv:ResearchAndDevelopment" },
          { leftOperand: "lp:minK", operator: "gteq", rightOperand: 10 },
        ]),
      );
      const decide = async (offerId: string) => {
        const found = await env.catalog.offer(offerId);
        return env.enforcement.decideOffer({
          step: "negotiation",
          offerId,
          dataset: found!.dataset,
          offer: found!.compiled,
          party: await env.catalog.party("lab"),
          actor: "lab",
        });
      };
      const denied = await decide(other.offerId);
      expect(denied.decision).toBe("Deny");
      const permitted = await decide(minK.offerId);
      expect(permitted).toMatchObject({ decision: "Permit", conditions: ["lp:minK odrl:gteq 10"] });
      // One event per decision, in the decision shape, with the reason.
      const events = (await decisions()).slice(before);
      expect(events).toHaveLength(2);
      expect(events[0]).toMatchObject({
        step: "negotiation",
        agreement: null,
        offer: other.offerId,
        assignee: iri("lab"),
        decision: "Deny",
        reason: denied.reason,
      });
      expect(events[1]).toMatchObject({ decision: "Permit", conditions: ["lp:minK odrl:gteq 10"] });
      // Fail closed: a broken policy denies, and says so.
      const broken = await env.enforcement.decideOffer({
        step: "negotiation",
        offerId: "urn:offer:broken",
        dataset: "urn:uuid:x",
        offer: undefined as never,
        party: { iri: iri("lab") },
        actor: "lab",
      });
      expect(broken).toMatchObject({ decision: "Deny" });
      expect(broken.reason).toMatch(/^policy engine failure/);
    });

    it("decides a transfer for the agreement's consumer only, and records the grant each page is decided on", async () => {
      const agreement = await env.agreements.propose({
        proposedBy: "lab",
        parties: [
          { participant: "op", role: "operator" },
          { participant: "prov", role: "provider" },
          { participant: "lab", role: "consumer" },
        ],
        policy: {
          "@context": "http://www.w3.org/ns/odrl.jsonld",
          "@type": "Agreement",
          target: "urn:uuid:00000000-0000-4000-8000-000000000002",
          assigner: iri("prov"),
          assignee: iri("lab"),
          permission: [
            {
              action: "use",
              constraint: [
                { leftOperand: "purpose", operator: "isA", rightOperand: "dpv:ResearchAndDevelopment" },
                { leftOperand: "count", operator: "lteq", rightOperand: 2 },
              ],
            },
          ],
        },
        notAfter: new Date(Date.now() + 86_400_000).toISOString(),
      } as never);
      for (const id of ["op", "prov", "lab"])
        await env.agreements.sign(
          agreement.id,
          id,
          await signAgreement(agreement.canonical, keys[id]!.privateJwk, keys[id]!.kid),
        );
      // Before any transfer was permitted, a page is refused.
      expect((await env.enforcement.beforeTransferPage(agreement.id)).permit).toBe(false);
      const byProvider = await env.enforcement.decideTransfer({
        agreementId: agreement.id,
        consumer: "prov",
        actor: "prov",
      });
      expect(byProvider.decision).toBe("Deny");
      expect(byProvider.reason).toMatch(/not the consumer/);
      const ok = await env.enforcement.decideTransfer({
        agreementId: agreement.id,
        consumer: "lab",
        actor: "lab",
      });
      expect(ok.decision, ok.reason).toBe("Permit");
      expect((await env.enforcement.beforeTransferPage(agreement.id)).permit).toBe(true);
      const third = await env.enforcement.beforeTransferPage(agreement.id);
      expect(third.permit).toBe(false);
      expect(third.reason).toMatch(/count lteq 2\) is unsatisfied by 3/);
    });
  });
}
