/**
 * Age (pure). The registry needs to know one thing about a learner's age: from which day they may
 * consent alone in the record's jurisdiction. The provider attests, in the portal link, either that
 * the learner is an adult (`{adult: true}`: 18 or more, no birth data at all) or their birth year and
 * month (`{birthYearMonth: "2011-04"}`) — never the day, which adds identifying power and is not
 * needed: the registry rounds up and treats the learner as reaching the age on the first day of the
 * month after their birthday month, so that nobody is taken for old enough a day too early. Only the
 * day it derives (`consentAgeOn`) is stored; the birth month is not.
 */
import { ConsentError } from "./errors.js";
import { AGE_OF_DIGITAL_CONSENT, DEFAULT_AGE_OF_DIGITAL_CONSENT } from "./vocab.js";

export type AgeClaim = { adult: true } | { birthYearMonth: string };

/** The age of digital consent in `jurisdiction` under `table` (16, the GDPR default, when unlisted). */
export function ageOfDigitalConsent(
  jurisdiction: string,
  table: Readonly<Record<string, number>> = AGE_OF_DIGITAL_CONSENT,
): number {
  return table[jurisdiction.toUpperCase()] ?? DEFAULT_AGE_OF_DIGITAL_CONSENT;
}

/** Checks an age claim's shape; throws a 400 ConsentError. */
export function checkAgeClaim(value: unknown): AgeClaim {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (v.adult === true && Object.keys(v).length === 1) return { adult: true };
    if (typeof v.birthYearMonth === "string" && Object.keys(v).length === 1) {
      const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(v.birthYearMonth);
      if (m) return { birthYearMonth: v.birthYearMonth };
    }
  }
  throw new ConsentError(
    400,
    'the learner\'s age must be {"adult": true} or {"birthYearMonth": "YYYY-MM"} (no birth day: it is not needed)',
  );
}

/**
 * The day (YYYY-MM-DD, UTC) from which the learner consents alone, or null for an attested adult
 * (18 or more is at least every age of digital consent).
 */
export function consentAgeOn(
  claim: AgeClaim,
  jurisdiction: string,
  table?: Readonly<Record<string, number>>,
): string | null {
  if ("adult" in claim) return null;
  const [year, month] = claim.birthYearMonth.split("-").map(Number) as [number, number];
  const age = ageOfDigitalConsent(jurisdiction, table);
  // The first day of the month after the birthday month, `age` years on (month is 1-based, so it is
  // already the next month's 0-based index).
  const day = new Date(Date.UTC(year + age, month, 1));
  return day.toISOString().slice(0, 10);
}
