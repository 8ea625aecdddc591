import { exportJWK, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import {
  ageOfDigitalConsent,
  checkAgeClaim,
  checkLinkClaims,
  consentAgeOn,
  DEFAULT_AUDIENCE,
  type ReceiptPayload,
  receiptHash,
  signReceipt,
  verifyReceipt,
} from "../../src/consent/index.js";

describe("age of digital consent", () => {
  it("is per jurisdiction, 16 when unknown", () => {
    expect(ageOfDigitalConsent("FR")).toBe(15);
    expect(ageOfDigitalConsent("DE")).toBe(16);
    expect(ageOfDigitalConsent("BE")).toBe(13);
    expect(ageOfDigitalConsent("ZZ")).toBe(16);
    expect(ageOfDigitalConsent("FR", { FR: 14 })).toBe(14);
  });
  it("rounds a birth month up to the first day of the next month", () => {
    expect(consentAgeOn({ birthYearMonth: "2012-04" }, "FR")).toBe("2027-05-01");
    expect(consentAgeOn({ birthYearMonth: "2012-12" }, "DE")).toBe("2029-01-01");
    expect(consentAgeOn({ adult: true }, "FR")).toBeNull();
  });
  it("accepts only an adult flag or a birth year-month", () => {
    expect(() => checkAgeClaim({ birthDate: "2012-04-03" })).toThrow(/no birth day/);
    expect(() => checkAgeClaim({ birthYearMonth: "2012-04-03" })).toThrow();
    expect(() => checkAgeClaim({ adult: true, birthYearMonth: "2012-04" })).toThrow();
  });
});

describe("portal link claims", () => {
  const now = new Date("2027-03-15T10:00:00Z");
  const t = Math.floor(now.getTime() / 1000);
  const base = {
    iss: "univ",
    sub: "A".repeat(22),
    agr: "urn:uuid:x",
    aud: DEFAULT_AUDIENCE,
    iat: t,
    exp: t + 600,
    nonce: "n".repeat(22),
    role: "learner" as const,
    age: { adult: true as const },
  };
  const check = (claims: object) => () => checkLinkClaims(claims, "kid", { audience: DEFAULT_AUDIENCE, now });
  it("accepts a good link and tolerates a minute of skew", () => {
    expect(check(base)()).toMatchObject({ provider: "univ", learner: base.sub, role: "learner" });
    expect(check({ ...base, exp: t - 30 })).not.toThrow();
    expect(check({ ...base, iat: t + 30 })).not.toThrow();
  });
  it("refuses expired, future, too long, wrong audience, clear identifiers, guardians without identity", () => {
    expect(check({ ...base, exp: t - 120 })).toThrow(/expired/);
    expect(check({ ...base, iat: t + 120 })).toThrow(/future/);
    expect(check({ ...base, exp: t + 7200 })).toThrow(/longer/);
    expect(check({ ...base, aud: "https://elsewhere" })).toThrow(/meant for/);
    expect(check({ ...base, sub: "alice@example.org" })).toThrow(/never an identifier in clear/);
    expect(check({ ...base, role: "guardian" })).toThrow(/name the guardian/);
    expect(
      check({ ...base, role: "guardian", guardian: { pseudonym: base.sub, relationship: "parent" } }),
    ).toThrow(/cannot be the learner/);
    expect(check({ ...base, nonce: "short" })).toThrow(/nonce/);
  });
});

describe("receipts", () => {
  it("verify offline against the JWKS, and detect tampering, unknown keys and broken chains", async () => {
    const { publicKey, privateKey } = await generateKeyPair("Ed25519", { extractable: true });
    const pub = await exportJWK(publicKey);
    const jwks = {
      keys: [
        {
          kty: "OKP" as const,
          crv: "Ed25519" as const,
          x: pub.x as string,
          kid: "k1",
          alg: "EdDSA" as const,
          use: "sig" as const,
        },
      ],
    };
    const payload: ReceiptPayload = {
      type: "ConsentReceipt",
      record: "urn:uuid:r",
      seq: 1,
      event: "request",
      by: "provider",
      state: "https://w3id.org/dpv#ConsentRequested",
      subject: "A".repeat(22),
      purposes: ["https://w3id.org/dpv#AcademicResearch"],
      recipient: "lab",
      dataCategories: ["https://w3id.org/dpv/pd#EducationExperience"],
      agreement: "urn:uuid:a",
      notice: { id: "n", digest: "ab".repeat(32) },
      at: "2027-03-15T10:00:00.000Z",
      previous: null,
    };
    const first = await signReceipt(payload, await exportJWK(privateKey), "k1");
    const second = await signReceipt(
      { ...payload, seq: 2, event: "give", by: "learner", previous: receiptHash(first) },
      await exportJWK(privateKey),
      "k1",
    );
    expect(await verifyReceipt(first, jwks)).toMatchObject({ ok: true, kid: "k1" });
    expect(await verifyReceipt(second, jwks, { previous: first })).toMatchObject({ ok: true });
    expect(await verifyReceipt(second, jwks, { previous: second })).toMatchObject({
      ok: false,
      reason: /previous/,
    });
    const [h, p, s] = first.split(".");
    const forged = Buffer.from(
      JSON.stringify({ ...payload, state: "https://w3id.org/dpv#ConsentGiven" }),
    ).toString("base64url");
    expect(await verifyReceipt(`${h}.${forged}.${s}`, jwks)).toMatchObject({
      ok: false,
      reason: /signature/,
    });
    expect(await verifyReceipt(`${h}.${p}.${s}`, { keys: [] })).toMatchObject({
      ok: false,
      reason: /not in the registry/,
    });
    expect(await verifyReceipt("garbage", jwks)).toMatchObject({ ok: false });
  });
});
