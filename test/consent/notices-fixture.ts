/**
 * A small data space for the consent tests: an operator, two providers (a university and a MOOC), a
 * consumer lab, a catalog entry of the university's, and an agreement proposed through the real
 * registry whose policy states purposes, a region and a deletion duty.
 */
import { Catalog, registeredParticipants } from "../../src/contract/catalog/index.js";
import { type Agreement, AgreementRegistry } from "../../src/contract/index.js";
import { Lrs } from "../../src/lrs/index.js";
import type { Database } from "../../src/store/index.js";
import { describeFixture, offerFixture } from "../contract/fixtures/catalog/helpers.js";

export const iri = (id: string) => `urn:learnpool:participant:${id}`;

export const PARTICIPANTS = {
  op: { role: "operator", title: "Learnpool Opérateur" },
  univ: { role: "provider", title: "Université de Lille" },
  mooc: { role: "provider", title: "FUN MOOC <Plateforme>" },
  lab: { role: "consumer", title: "Laboratoire *IA* & Éducation" },
} as const;

export interface DataSpace {
  lrs: Lrs;
  registry: AgreementRegistry;
  agreement: Agreement;
  offerId: string;
}

export function policy(purposes: string[], extra: Record<string, unknown> = {}) {
  return {
    "@context": [
      "http://www.w3.org/ns/odrl.jsonld",
      { dpv: "https://w3id.org/dpv#", lp: "https://w3id.org/learnpool/odrl/" },
    ],
    "@type": "Agreement",
    assigner: [iri("univ"), iri("mooc")],
    assignee: iri("lab"),
    target: "urn:learnpool:dataset:dropout",
    permission: [
      {
        action: "use",
        constraint: [
          { leftOperand: "purpose", operator: "isAnyOf", rightOperand: purposes.map((p) => ({ "@id": p })) },
          { leftOperand: "spatial", operator: "isPartOf", rightOperand: { "@id": "lp:EU" } },
        ],
        duty: [
          {
            action: "delete",
            constraint: [
              {
                leftOperand: "dateTime",
                operator: "lteq",
                rightOperand: { "@value": "2030-06-30T00:00:00Z", "@type": "xsd:dateTime" },
              },
            ],
          },
        ],
      },
    ],
    ...extra,
  };
}

export async function dataSpace(
  db: Database,
  purposes = ["dpv:TrainAIModel", "dpv:AcademicResearch", "lp:BroadResearchInEducation"],
  now: () => Date = () => new Date(),
): Promise<DataSpace> {
  const lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
  const registry = new AgreementRegistry(db, lrs.audit, { now });
  for (const [id, p] of Object.entries(PARTICIPANTS)) {
    await lrs.tenancy.ensureStore(id, id, "test");
    await registry.participants.register({ id, role: p.role, title: p.title }, "test");
  }
  const catalog = new Catalog(db, lrs.audit, { directory: registeredParticipants(db), now });
  const entry = await catalog.publish(
    {
      storeId: "univ",
      description: describeFixture(),
      offer: offerFixture("offer-research.jsonld", "urn:learnpool:offer:univ-dropout", iri("univ")),
    },
    { actor: "test", storeId: "univ" },
  );
  const agreement = await registry.propose({
    proposedBy: "lab",
    parties: [
      { participant: "op", role: "operator" },
      { participant: "univ", role: "provider" },
      { participant: "mooc", role: "provider" },
      { participant: "lab", role: "consumer" },
    ],
    offers: [entry.offerId],
    notAfter: "2031-01-01T00:00:00Z",
    linkageDomain: "dropout-2026",
    deidentificationProfile: "strict",
    policy: policy(purposes),
  });
  return { lrs, registry, agreement, offerId: entry.offerId };
}

/** The body of a consent request under the data space's agreement (POST /consent/requests), as univ asks it. */
export function requestBody(agreement: string, learner: string): Record<string, unknown> {
  return {
    agreement,
    learner,
    language: "fr",
    purposes: ["dpv:TrainAIModel", "dpv:AcademicResearch"],
    recipients: ["lab"],
    dataCategories: ["pd:Behavioral"],
    retention: { duration: "P1Y" },
    storageLocations: ["FR"],
  };
}
