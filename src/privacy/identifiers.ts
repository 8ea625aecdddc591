/**
 * Learners' identifiers, normalized before they are pseudonymized, so that the same person written
 * two ways (`Ada@Example.org ` and `ada@example.org`, `06 12 34 56 78` and `+33612345678`) gets one
 * pseudonym. Pure; a malformed identifier is refused with the reason, never pseudonymized as it is.
 *
 * - `email`: trimmed, `mailto:` removed, the whole address lower-cased (providers treat addresses as
 *   case-insensitive in practice, though RFC 5321 allows a case-sensitive local part).
 * - `ine`: the French national student identifier (INE: RNIE, BEA, base élèves…): 11 characters, ten
 *   letters or digits then a letter; spaces and hyphens removed, upper-cased. The check character is
 *   not verified (its algorithm differs between the issuing bases).
 * - `phone`: E.164 (`+33612345678`) through libphonenumber-js; national numbers are read in the
 *   provider's region (default FR).
 * - `account`: a provider's own account id, scoped by the provider's `namespace` (an xAPI account's
 *   homePage): kept exactly, as ids are case-sensitive; only surrounding spaces are removed.
 */
import { type CountryCode, parsePhoneNumberFromString } from "libphonenumber-js";

export type IdentifierKind = "email" | "ine" | "phone" | "account";

export const IDENTIFIER_KINDS: readonly IdentifierKind[] = ["email", "ine", "phone", "account"];

export interface Identifier {
  kind: IdentifierKind;
  /** The normalized value. */
  value: string;
  /** For accounts: whose account it is (the xAPI account's homePage). */
  namespace?: string;
}

export class IdentifierError extends Error {
  constructor(
    readonly kind: string,
    reason: string,
  ) {
    // The value itself is never in the message: it is a learner's identifier.
    super(`${kind} identifier: ${reason}`);
    this.name = "IdentifierError";
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const INE = /^[0-9A-Z]{10}[A-Z]$/;

export interface NormalizeOptions {
  /** Region for phone numbers written without a country code (ISO 3166 alpha-2). */
  phoneRegion?: string;
  /** For accounts: the homePage of the provider's accounts. */
  namespace?: string;
}

export function normalizeIdentifier(kind: string, raw: string, options: NormalizeOptions = {}): Identifier {
  switch (kind) {
    case "email": {
      const value = raw
        .trim()
        .replace(/^mailto:/i, "")
        .toLowerCase();
      if (!EMAIL.test(value)) throw new IdentifierError(kind, "not an e-mail address");
      return { kind, value };
    }
    case "ine": {
      const value = raw.replace(/[\s-]/g, "").toUpperCase();
      if (!INE.test(value)) throw new IdentifierError(kind, "an INE has ten letters or digits then a letter");
      return { kind, value };
    }
    case "phone": {
      const parsed = parsePhoneNumberFromString(raw.trim(), (options.phoneRegion ?? "FR") as CountryCode);
      if (!parsed?.isValid()) throw new IdentifierError(kind, "not a valid phone number");
      return { kind, value: parsed.number };
    }
    case "account": {
      const value = raw.trim();
      if (value === "") throw new IdentifierError(kind, "empty account name");
      if (!options.namespace) throw new IdentifierError(kind, "an account needs its namespace (homePage)");
      return { kind, value, namespace: options.namespace };
    }
    default:
      throw new IdentifierError(kind, `unknown kind (expected one of ${IDENTIFIER_KINDS.join(", ")})`);
  }
}

/**
 * The canonical text of an identifier, what keyed functions and the OPRF take as input: kind,
 * namespace and value, separated so that no two identifiers share a text.
 */
export function identifierText(id: Identifier): string {
  return `${id.kind}\u0000${id.namespace ?? ""}\u0000${id.value}`;
}
