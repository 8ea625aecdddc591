import { createSecretKey, generateKeyPairSync } from "node:crypto";
import { base64url, CompactSign } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createCertificate,
  freshRsaKeys,
  type RsaKeys,
  rsaKeys,
  selfSignedCertificate,
  signStatement,
} from "../../test/helpers/sign.js";
import { verifyStatementSignature } from "./signature.js";
import type { Statement } from "./types.js";

const statement: Statement = {
  id: "9e1ad9b8-4a62-4bc6-8c5b-2d2b6d0e0a11",
  actor: { objectType: "Agent", mbox: "mailto:sample.agent@example.com", name: "Sample Agent" },
  verb: { id: "http://adlnet.gov/expapi/verbs/answered", display: { "en-US": "answered" } },
  object: {
    objectType: "Activity",
    id: "http://www.example.com/tincan/activities/multipart",
    definition: { name: { "en-US": "Multi Part Activity" } },
  },
  timestamp: "2014-07-11T13:51:03.971Z",
};

let keys: RsaKeys;
let certificate: string;

beforeAll(() => {
  keys = rsaKeys();
  certificate = selfSignedCertificate(keys);
});

const encode = (value: unknown) =>
  base64url.encode(typeof value === "string" ? value : JSON.stringify(value));

/** A JWS whose payload segment is replaced, its signature kept (what tampering in transit looks like). */
function withPayload(jws: string, payload: unknown): string {
  const [header, , signature] = jws.split(".");
  return `${header}.${encode(payload)}.${signature}`;
}

describe("verifyStatementSignature accepts", () => {
  it("an RS256 signature without x5c (nothing to verify it against, so only its form and payload are checked)", async () => {
    const jws = await signStatement(statement, keys.privateKey);
    expect(await verifyStatementSignature(statement, jws, "1.0.3")).toEqual([]);
    expect(await verifyStatementSignature(statement, jws, "2.0.0")).toEqual([]);
  });

  for (const alg of ["RS256", "RS384", "RS512"] as const) {
    it(`an ${alg} signature that verifies with its self-signed x5c certificate`, async () => {
      const jws = await signStatement(statement, keys.privateKey, certificate, { alg });
      expect(await verifyStatementSignature(statement, jws, "2.0.0")).toEqual([]);
    });
  }

  it("a signature whose x5c chain goes from the signer to its issuer", async () => {
    const signer = freshRsaKeys();
    const leaf = createCertificate(signer, {
      commonName: "signer",
      issuer: { commonName: "Learnpool test signer", privateKey: keys.privateKey },
    });
    const jws = await signStatement(statement, signer.privateKey, leaf, { chain: [certificate] });
    expect(await verifyStatementSignature(statement, jws, "1.0.3")).toEqual([]);
  });

  it("a payload that differs from the received statement only where the comparison rules allow", async () => {
    // A 1.0.3 client may send a single context Activity instead of an array; the LRS stores an array.
    const signed = {
      actor: {
        objectType: "Group",
        mbox: "mailto:team@Example.COM",
        member: [{ mbox: "mailto:b@example.com" }, { mbox: "mailto:a@example.com" }],
      },
      verb: { id: "http://adlnet.gov/expapi/verbs/answered", display: { "en-US": "answered" } },
      object: { id: "http://www.example.com/a", definition: { name: { "en-US": "Old name" } } },
      context: {
        registration: "EC531277-B57B-4C15-8D91-D292C5B2B8F7",
        contextActivities: { parent: { id: "http://www.example.com/parent" } },
      },
      result: { duration: "PT1.234S" },
    } as unknown as Statement;
    // The LRS adds id, timestamp, stored, authority and version; attachments, verb display, activity
    // definitions, member order, e-mail domain case and timestamp serialization are not compared.
    const { result: _result, ...withoutResult } = signed;
    const received = {
      ...withoutResult,
      id: "6690e6c9-3ef0-4ed3-8b37-7f3964730bee",
      timestamp: "2024-01-01T00:00:00.000Z",
      stored: "2024-01-01T00:00:01.000Z",
      authority: { mbox: "mailto:lrs@example.com" },
      version: "1.0.3",
      actor: {
        objectType: "Group",
        mbox: "mailto:team@example.com",
        member: [{ mbox: "mailto:a@EXAMPLE.com" }, { mbox: "mailto:b@example.com" }],
      },
      verb: { id: "http://adlnet.gov/expapi/verbs/answered" },
      object: {
        id: "http://www.example.com/a",
        objectType: "Activity",
        definition: { name: { "en-US": "New" } },
      },
      context: {
        registration: "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
        contextActivities: { parent: [{ id: "http://www.example.com/parent" }] },
      },
    } as Statement;
    const jws = await signStatement(signed, keys.privateKey, certificate);
    expect(await verifyStatementSignature(received, jws, "1.0.3")).toEqual([
      expect.objectContaining({ path: "signature.payload.result" }),
    ]);
    // With the result as signed (the object without objectType is the same Activity) it is equivalent.
    const sameResult = { ...received, result: signed.result } as Statement;
    expect(await verifyStatementSignature(sameResult, jws, "1.0.3")).toEqual([]);
    const timestamped = { ...signed, timestamp: "2024-01-01T01:00:00+01:00" };
    const jws2 = await signStatement(timestamped, keys.privateKey);
    expect(
      await verifyStatementSignature({ ...sameResult, timestamp: "2024-01-01T00:00:00Z" }, jws2, "2.0.0"),
    ).toEqual([]);
  });

  it("in 2.0, a duration that differs beyond 0.01 s; in 1.0.3 the duration is compared as a string", async () => {
    const jws = await signStatement({ ...statement, result: { duration: "PT1.234S" } }, keys.privateKey);
    const received: Statement = { ...statement, result: { duration: "PT1.23S" } };
    expect(await verifyStatementSignature(received, jws, "2.0.0")).toEqual([]);
    expect(await verifyStatementSignature(received, jws, "1.0.3")).toEqual([
      expect.objectContaining({ path: "signature.payload.result.duration" }),
    ]);
  });
});

describe("verifyStatementSignature refuses", () => {
  it("a tampered payload, when x5c lets the signature be checked", async () => {
    const other = { ...statement, verb: { id: "http://adlnet.gov/expapi/verbs/failed" } };
    const jws = await signStatement(other, keys.privateKey, certificate);
    // The payload now matches the received statement, but the signature was made over another one.
    const { attachments: _a, ...payload } = statement;
    const problems = await verifyStatementSignature(statement, withPayload(jws, payload), "2.0.0");
    expect(problems).toEqual([
      {
        path: "signature.header.x5c",
        rule: "xAPI 2.0 4.2.6 (x5c)",
        message: expect.stringContaining("does not verify with the first x5c certificate"),
      },
    ]);
  });

  it("a tampered signature and a certificate of another key", async () => {
    const jws = await signStatement(statement, keys.privateKey, certificate);
    const [h, p, s = ""] = jws.split(".");
    const flipped = `${h}.${p}.${s.startsWith("A") ? "B" : "A"}${s.slice(1)}`;
    expect(await verifyStatementSignature(statement, flipped, "1.0.3")).toEqual([
      expect.objectContaining({ path: "signature.header.x5c", rule: "Data 2.6.s5.b3.b3 (x5c)" }),
    ]);
    const stranger = selfSignedCertificate(freshRsaKeys(), "stranger");
    const misattributed = await signStatement(statement, keys.privateKey, stranger);
    expect(await verifyStatementSignature(statement, misattributed, "1.0.3")).toHaveLength(1);
  });

  it("an x5c chain whose second certificate did not issue the first, and malformed x5c values", async () => {
    const stranger = selfSignedCertificate(freshRsaKeys(), "stranger");
    const jws = await signStatement(statement, keys.privateKey, certificate, { chain: [stranger] });
    expect((await verifyStatementSignature(statement, jws, "2.0.0"))[0]?.message).toBe(
      "x5c[0] is not issued and signed by x5c[1]",
    );
    for (const [x5c, message] of [
      ["MIIB", "x5c must be a non-empty array of certificates"],
      [[], "x5c must be a non-empty array of certificates"],
      [["not base64!"], "x5c[0] is not a base64-encoded DER certificate"],
      [["AAAA"], "x5c[0] is not a readable X.509 certificate"],
    ] as const) {
      const bad = await new CompactSign(new TextEncoder().encode(JSON.stringify(statement)))
        .setProtectedHeader({ alg: "RS256", x5c } as unknown as { alg: string })
        .sign(keys.privateKey);
      expect(await verifyStatementSignature(statement, bad, "2.0.0")).toEqual([
        { path: "signature.header.x5c", rule: "xAPI 2.0 4.2.6 (x5c)", message },
      ]);
    }
  });

  it("an algorithm other than RS256, RS384 or RS512 (HS256 as the suite sends it, ES256, PS256, none)", async () => {
    const payload = new TextEncoder().encode(JSON.stringify(statement));
    const hs256 = await new CompactSign(payload)
      .setProtectedHeader({ alg: "HS256" })
      .sign(createSecretKey(Buffer.from(keys.privateKey.export({ type: "pkcs1", format: "pem" }))));
    const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
    const es256 = await new CompactSign(payload).setProtectedHeader({ alg: "ES256" }).sign(ec.privateKey);
    const ps256 = await new CompactSign(payload).setProtectedHeader({ alg: "PS256" }).sign(keys.privateKey);
    for (const [jws, alg] of [
      [hs256, "HS256"],
      [es256, "ES256"],
      [ps256, "PS256"],
    ] as const) {
      expect(await verifyStatementSignature(statement, jws, "1.0.3")).toEqual([
        {
          path: "signature.header.alg",
          rule: "XAPI-00117 (Data 2.6.s4.b4)",
          message: `the JWS algorithm is "${alg}"; it must be RS256, RS384 or RS512`,
        },
      ]);
    }
    const none = `${encode({ alg: "none" })}.${encode(statement)}.${encode("x")}`;
    expect((await verifyStatementSignature(statement, none, "2.0.0"))[0]?.rule).toBe(
      "XAPI-00117 (xAPI 2.0 4.2.6)",
    );
    const noAlg = `${encode({ typ: "JWT" })}.${encode(statement)}.${encode("x")}`;
    expect((await verifyStatementSignature(statement, noAlg, "2.0.0"))[0]?.message).toMatch(
      /algorithm is missing/,
    );
  });

  it("a payload that is a different statement", async () => {
    const jws = await signStatement(statement, keys.privateKey, certificate);
    const received: Statement = { ...statement, verb: { id: "http://adlnet.gov/expapi/verbs/passed" } };
    expect(
      await verifyStatementSignature(received, jws, "2.0.0", { path: "statements[0].attachments[0]" }),
    ).toEqual([
      {
        path: "statements[0].attachments[0].payload.verb.id",
        rule: "xAPI 2.0 4.2.6 (statement comparison)",
        message: "the signed statement in the JWS payload differs from the received statement at $.verb.id",
      },
    ]);
    for (const changed of [
      { ...statement, id: "00000000-0000-4000-8000-000000000000" },
      { ...statement, timestamp: "2014-07-11T13:51:04.971Z" },
      { ...statement, result: { success: true } },
      { ...statement, actor: { mbox: "mailto:Sample.Agent@example.com" } },
    ]) {
      expect(await verifyStatementSignature(changed, jws, "1.0.3")).toHaveLength(1);
    }
  });

  it("malformed JWS: not three segments, JSON serialization, bad base64url, bad header, payload not a statement", async () => {
    const good = await signStatement(statement, keys.privateKey);
    const [h = "", p = "", s = ""] = good.split(".");
    const cases: [string, string][] = [
      ["", "expected 3 dot-separated parts, found 1"],
      ["abc", "expected 3 dot-separated parts, found 1"],
      [`${h}.${p}`, "expected 3 dot-separated parts, found 2"],
      [`${good}.x`, "expected 3 dot-separated parts, found 4"],
      [
        JSON.stringify({ payload: p, signatures: [{ protected: h, signature: s }] }),
        "JWS JSON serialization",
      ],
      [`${h}.${p}.`, "the JWS signature is empty"],
      [`${h}.${p}+/.${s}`, "the JWS payload is not base64url"],
      [`${encode("not json")}.${p}.${s}`, "the JWS header is not a base64url-encoded JSON object"],
      // The suite's "bad JSON serialization": the first double quote replaced by a single one.
      [`${h}.${encode(JSON.stringify(statement).replace('"', "'"))}.${s}`, "not a valid JSON serialization"],
      [`${h}.${base64url.encode(new Uint8Array([0xff, 0xfe]))}.${s}`, "not a valid JSON serialization"],
      [`${h}.${encode([statement])}.${s}`, "JSON but not a statement object"],
      [`${encode({ alg: "RS256", b64: false, crit: ["b64"] })}.${p}.${s}`, "unencoded"],
    ];
    for (const [jws, message] of cases) {
      const problems = await verifyStatementSignature(statement, jws, "1.0.3");
      expect(problems, jws).toHaveLength(1);
      expect(problems[0]?.message, jws).toContain(message);
      expect(problems[0]?.rule, jws).toMatch(/^XAPI-0011[56] \(Data 2\.6\.s4\.b[13]\)$/);
    }
  });
});
