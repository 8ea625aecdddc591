/**
 * The agreement document (pure): what every party signs. It is fixed when the agreement is proposed
 * and never changes; its RFC 8785 canonical text and that text's SHA-256 digest identify it exactly.
 * It wraps the ODRL Agreement (compact JSON-LD under the ODRL context, as `parsePolicy` reads it) with
 * Learnpool's terms: the parties and their data-space IRIs, the offers it came from, the validity
 * window, the linkage domain and de-identification profile.
 */
import { createHash, randomUUID } from "node:crypto";
import { type Policy, PolicyError, parsePolicy, type Rule } from "../odrl/parse.js";
import { canonicalJson } from "./canonical.js";
import { AgreementError } from "./errors.js";

export type PartyRole = "provider" | "consumer" | "operator";
export const PARTY_ROLES: readonly PartyRole[] = ["provider", "consumer", "operator"];

export interface Party {
  /** The participant's id (its store id). */
  participant: string;
  role: PartyRole;
}

/** A party as the document names it: with its IRI, so that the ODRL rules can refer to it. */
export interface DocumentParty extends Party {
  iri: string;
}

/** What a proposer submits. */
export interface AgreementDraft {
  /** urn:uuid:…; made when absent (or taken from the policy's uid when that is a urn:uuid). */
  id?: string;
  /** The participant proposing: the operator or the consumer. */
  proposedBy: string;
  parties: Party[];
  /** The catalog offers (IRIs) the agreement came from. */
  offers?: string[];
  /** The ODRL Agreement, compact JSON-LD. Its uid, when given, must be the agreement's id. */
  policy: Record<string, unknown>;
  /** ISO 8601; default the proposal time. */
  notBefore?: string;
  /** ISO 8601; required: no agreement is open-ended. */
  notAfter: string;
  /** The privacy module's linkage domain whose pseudonyms the transfers use. */
  linkageDomain?: string;
  /** The de-identification profile the transfers apply. */
  deidentificationProfile?: string;
}

export interface AgreementDocument {
  type: "LearnpoolAgreement";
  version: 1;
  id: string;
  createdAt: string;
  proposedBy: string;
  parties: DocumentParty[];
  offers: string[];
  validity: { notBefore: string; notAfter: string };
  linkageDomain?: string;
  deidentificationProfile?: string;
  policy: Record<string, unknown>;
}

export const URN_UUID = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The RFC 8785 canonical text of a document. */
export function canonicalText(document: AgreementDocument): string {
  return canonicalJson(document);
}

/** SHA-256 of the canonical text's UTF-8 bytes, lower-case hex. */
export function digestOf(canonical: string): string {
  return createHash("sha256").update(canonical, "utf8").digest("hex");
}

function instant(value: unknown, name: string): string {
  if (typeof value !== "string" || Number.isNaN(Date.parse(value)) || !/^\d{4}-\d\d-\d\dT/.test(value)) {
    throw new AgreementError(400, `${name} must be an ISO 8601 date-time, e.g. 2027-06-30T00:00:00Z`);
  }
  return new Date(value).toISOString();
}

/** Checks the parties: each once, one consumer, at least one provider, one operator. */
export function checkParties(parties: unknown): Party[] {
  if (!Array.isArray(parties) || parties.length === 0) {
    throw new AgreementError(400, "parties must be a list of {participant, role}");
  }
  const seen = new Set<string>();
  const out: Party[] = [];
  for (const p of parties as Array<Partial<Party> | null>) {
    if (!p || typeof p.participant !== "string" || !PARTY_ROLES.includes(p.role as PartyRole)) {
      throw new AgreementError(
        400,
        "each party is {participant, role} with role provider, consumer or operator",
      );
    }
    if (seen.has(p.participant)) {
      throw new AgreementError(400, `participant '${p.participant}' is named twice among the parties`);
    }
    seen.add(p.participant);
    out.push({ participant: p.participant, role: p.role as PartyRole });
  }
  const count = (role: PartyRole) => out.filter((p) => p.role === role).length;
  if (count("consumer") !== 1) throw new AgreementError(400, "an agreement has exactly one consumer");
  if (count("provider") < 1) throw new AgreementError(400, "an agreement has at least one provider");
  if (count("operator") !== 1) throw new AgreementError(400, "an agreement has exactly one operator party");
  return out;
}

/** Who may propose: the operator or the consumer of the agreement. */
export function mayPropose(parties: readonly Party[], participant: string): boolean {
  return parties.some(
    (p) => p.participant === participant && (p.role === "operator" || p.role === "consumer"),
  );
}

function allRules(policy: Policy): Rule[] {
  const out: Rule[] = [];
  const walk = (rule: Rule) => {
    out.push(rule);
    for (const r of [...rule.duties, ...rule.consequences, ...rule.remedies]) walk(r);
  };
  for (const r of [...policy.permissions, ...policy.prohibitions, ...policy.obligations]) walk(r);
  return out;
}

/** Reads the ODRL Agreement of a document. */
export function policyOfDocument(document: Pick<AgreementDocument, "policy" | "id">): Policy {
  try {
    return parsePolicy(JSON.stringify(document.policy), { syntax: "jsonld", id: document.id });
  } catch (err) {
    if (err instanceof PolicyError) throw new AgreementError(400, `the ODRL agreement: ${err.message}`);
    throw err;
  }
}

/**
 * The document of a draft. `iris` maps each party's participant id to its registered IRI; `now` is
 * the proposal time. Pure: the registry checks participants exist before calling.
 */
export function buildDocument(
  draft: AgreementDraft,
  iris: ReadonlyMap<string, string>,
  now: Date,
): AgreementDocument {
  if (!draft || typeof draft !== "object") throw new AgreementError(400, "the draft must be a JSON object");
  const parties = checkParties(draft.parties);
  if (typeof draft.proposedBy !== "string" || !mayPropose(parties, draft.proposedBy)) {
    throw new AgreementError(403, "an agreement is proposed by its operator or its consumer");
  }
  const policy = draft.policy;
  if (!policy || typeof policy !== "object" || Array.isArray(policy)) {
    throw new AgreementError(400, "policy must be an ODRL Agreement in JSON-LD (an object)");
  }
  const given = policy.uid ?? policy["@id"];
  if (given !== undefined && typeof given !== "string")
    throw new AgreementError(400, "the policy's uid must be a string");
  const id = draft.id ?? (given && URN_UUID.test(given) ? given : `urn:uuid:${randomUUID()}`);
  if (!URN_UUID.test(id))
    throw new AgreementError(400, `an agreement id is urn:uuid:<lower-case uuid>, not '${id}'`);
  if (given !== undefined && given !== id) {
    throw new AgreementError(400, `the policy's uid '${given}' is not the agreement's id '${id}'`);
  }
  const offers = draft.offers ?? [];
  if (!Array.isArray(offers) || !offers.every((o) => typeof o === "string" && o.length > 0)) {
    throw new AgreementError(400, "offers must be a list of offer IRIs");
  }
  const createdAt = now.toISOString();
  const notBefore = draft.notBefore === undefined ? createdAt : instant(draft.notBefore, "notBefore");
  const notAfter = instant(draft.notAfter, "notAfter");
  if (notAfter <= notBefore) throw new AgreementError(400, "notAfter must be later than notBefore");
  for (const [name, value] of [
    ["linkageDomain", draft.linkageDomain],
    ["deidentificationProfile", draft.deidentificationProfile],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || !value)) {
      throw new AgreementError(400, `${name} must be a non-empty string`);
    }
  }
  const documentParties = parties.map((p) => {
    const iri = iris.get(p.participant);
    if (!iri) throw new AgreementError(400, `participant '${p.participant}' is not registered`);
    return { participant: p.participant, iri, role: p.role };
  });
  const document: AgreementDocument = {
    type: "LearnpoolAgreement",
    version: 1,
    id,
    createdAt,
    proposedBy: draft.proposedBy,
    parties: documentParties,
    offers: [...offers],
    validity: { notBefore, notAfter },
    ...(draft.linkageDomain !== undefined && { linkageDomain: draft.linkageDomain }),
    ...(draft.deidentificationProfile !== undefined && {
      deidentificationProfile: draft.deidentificationProfile,
    }),
    policy: { ...policy, uid: id },
  };
  if ("@id" in document.policy) delete document.policy["@id"];
  checkPolicy(document);
  return document;
}

/** The ODRL Agreement must read as one, and grant or bind only the agreement's parties. */
function checkPolicy(document: AgreementDocument): void {
  const policy = policyOfDocument(document);
  if (policy.type !== "Agreement") {
    throw new AgreementError(400, `the policy must be an ODRL Agreement, not ${policy.type}`);
  }
  const iris = new Set(document.parties.map((p) => p.iri));
  for (const rule of allRules(policy)) {
    for (const party of [...rule.assigners, ...rule.assignees]) {
      if (!iris.has(party)) {
        throw new AgreementError(
          400,
          `rule ${rule.id} names party ${party}, which is not the IRI of any party of the agreement`,
        );
      }
    }
  }
}

/** Reads a stored canonical text back; throws when it is not JSON. */
export function parseDocument(canonical: string): AgreementDocument {
  return JSON.parse(canonical) as AgreementDocument;
}
