/** A data space for consent tests: participants with keys, a final agreement, a consent registry. */
import { randomBytes } from "node:crypto";
import { expect } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import {
  ConsentError,
  ConsentRegistry,
  type ConsentRegistryOptions,
  type ConsentRequestInput,
  DEFAULT_AUDIENCE,
  type PortalLinkClaims,
  type ConsentRegistry as Registry,
  signPortalLink,
} from "../../src/consent/index.js";
import {
  type AgreementDraft,
  AgreementRegistry,
  generateParticipantKey,
  type ParticipantKeyPair,
  signAgreement,
} from "../../src/contract/agreements/index.js";
import { Tenancy } from "../../src/lrs/index.js";
import type { Database } from "../../src/store/index.js";

const iri = (id: string) => `urn:learnpool:participant:${id}`;

export function draft(overrides: Partial<AgreementDraft> = {}): AgreementDraft {
  return {
    proposedBy: "lab",
    parties: [
      { participant: "op", role: "operator" },
      { participant: "univ", role: "provider" },
      { participant: "mooc", role: "provider" },
      { participant: "lab", role: "consumer" },
    ],
    notBefore: "2026-01-01T00:00:00Z",
    notAfter: "2030-01-01T00:00:00Z",
    linkageDomain: "dropout-2026",
    policy: {
      "@context": ["http://www.w3.org/ns/odrl.jsonld", { dpv: "https://w3id.org/dpv#" }],
      "@type": "Agreement",
      assigner: [iri("univ"), iri("mooc")],
      assignee: iri("lab"),
      target: "urn:learnpool:dataset:dropout",
      permission: [
        {
          action: "derive",
          constraint: [
            { leftOperand: "purpose", operator: "isA", rightOperand: { "@id": "dpv:AcademicResearch" } },
          ],
        },
      ],
    },
    ...overrides,
  };
}

export const pseudonym = () => randomBytes(16).toString("base64url");
export const MASTER_KEY = randomBytes(32);

export interface World {
  db: Database;
  audit: AuditLog;
  agreements: AgreementRegistry;
  consent: Registry;
  keys: Record<string, ParticipantKeyPair>;
  agreementId: string;
  clock: { now: Date };
  link(claims: Partial<PortalLinkClaims> & { sub: string }, signer?: string): Promise<string>;
  request(learner: string, overrides?: Partial<ConsentRequestInput>): ReturnType<Registry["request"]>;
  /** Agrees another agreement (e.g. one that ends soon). */
  agree(overrides?: Partial<AgreementDraft>): Promise<string>;
}

export const NOTICE = { id: "urn:uuid:00000000-0000-4000-8000-000000000001", digest: "ab".repeat(32) };

export async function world(db: Database, options: Partial<ConsentRegistryOptions> = {}): Promise<World> {
  const audit = new AuditLog(db);
  const clock = { now: new Date("2027-03-15T10:00:00.000Z") };
  const now = () => clock.now;
  const agreements = new AgreementRegistry(db, audit, { now });
  const tenancy = new Tenancy(db, audit, "http://lrs.test");
  const roles = {
    op: "operator",
    univ: "provider",
    mooc: "provider",
    lab: "consumer",
    other: "provider",
  } as const;
  const keys: Record<string, ParticipantKeyPair> = {};
  for (const [id, role] of Object.entries(roles)) {
    await tenancy.createStore(id, id, "test");
    await agreements.participants.register({ id, role }, "test");
    keys[id] = await generateParticipantKey();
    await agreements.participants.addKey(id, keys[id].publicJwk, "test");
  }
  const agree = async (overrides: Partial<AgreementDraft> = {}) => {
    const saved = clock.now;
    clock.now = new Date("2025-12-01T00:00:00Z");
    const agreement = await agreements.propose(draft(overrides));
    for (const id of agreement.parties.map((p) => p.participant)) {
      const key = keys[id] as ParticipantKeyPair;
      await agreements.sign(
        agreement.id,
        id,
        await signAgreement(agreement.canonical, key.privateJwk, key.kid),
      );
    }
    clock.now = saved;
    return agreement.id;
  };
  const agreementId = await agree();
  const consent = new ConsentRegistry(db, audit, agreements, { now, masterKey: MASTER_KEY, ...options });
  const link: World["link"] = async (claims, signer = "univ") => {
    const key = keys[signer] as ParticipantKeyPair;
    const iat = Math.floor(clock.now.getTime() / 1000);
    const full: PortalLinkClaims = {
      iss: "univ",
      agr: agreementId,
      aud: DEFAULT_AUDIENCE,
      iat,
      exp: iat + 600,
      nonce: randomBytes(16).toString("base64url"),
      role: "learner",
      age: { adult: true },
      ...claims,
    };
    return signPortalLink(full, key.privateJwk, key.kid);
  };
  const request: World["request"] = (learner, overrides = {}) =>
    consent.request(
      {
        agreement: agreementId,
        learner,
        notice: NOTICE,
        language: "fr",
        jurisdiction: "FR",
        purposes: ["dpv:AcademicResearch"],
        recipients: ["lab"],
        dataCategories: ["pd:EducationExperience"],
        retention: { duration: "P2Y" },
        storageLocations: ["FR"],
        ...overrides,
      },
      "univ",
    );
  return { db, audit, agreements, consent, keys, agreementId, clock, link, request, agree };
}

/** A matcher for `rejects.toSatisfy`: a ConsentError with this status and a message like this. */
export const refusal = (status: number, message: RegExp) => (err: unknown) => {
  expect(err).toBeInstanceOf(ConsentError);
  expect((err as ConsentError).message).toMatch(message);
  expect((err as ConsentError).status).toBe(status);
  return true;
};

/** An isPermitted question about `learner` under the world's agreement (academic research, by lab). */
export const query = (w: World, learner: string, extra: Record<string, unknown> = {}) => ({
  learner,
  agreement: w.agreementId,
  purpose: "dpv:AcademicResearch",
  recipient: "lab",
  dataCategory: "pd:EducationExperience",
  ...extra,
});
