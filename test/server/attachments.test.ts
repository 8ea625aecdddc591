import { createHash, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildMultipartMixed, parseMultipartMixed, type Statement } from "../../src/xapi/index.js";
import { backends } from "../helpers/databases.js";
import { type TestLrs, testLrs } from "../helpers/server.js";
import { rsaKeys, selfSignedCertificate, signedStatementRequest } from "../helpers/sign.js";

const base: Statement = {
  actor: { objectType: "Agent", mbox: "mailto:ada@example.org" },
  verb: { id: "http://adlnet.gov/expapi/verbs/attempted" },
  object: { objectType: "Activity", id: "https://example.org/essay" },
};

function withFile(content: Buffer, contentType = "text/plain") {
  const sha2 = createHash("sha256").update(content).digest("hex");
  const statement: Statement = {
    ...base,
    id: randomUUID(),
    attachments: [
      {
        usageType: "https://example.org/essay-text",
        display: { en: "Essay" },
        contentType,
        length: content.length,
        sha2,
      },
    ],
  };
  return { statement, sha2 };
}

for (const backend of await backends()) {
  describe(`attachments and signed statements on ${backend.name}`, () => {
    let t: TestLrs;
    beforeAll(async () => {
      t = await testLrs(backend);
    });
    afterAll(async () => {
      await t.close();
    });

    const postMultipart = (contentType: string, body: Buffer) =>
      t.app.inject({
        method: "POST",
        url: "/xapi/statements",
        headers: { ...t.headers(), "content-type": contentType },
        payload: body,
      });

    it("stores an attachment sent in multipart/mixed and returns it with attachments=true", async () => {
      const content = Buffer.from("line one\r\n--not-a-boundary\r\nbinary \u0000\u00ff end", "latin1");
      const { statement, sha2 } = withFile(content, "application/octet-stream");
      const body = buildMultipartMixed([
        { headers: { "content-type": "application/json" }, body: JSON.stringify(statement) },
        {
          headers: {
            "content-type": "application/octet-stream",
            "content-transfer-encoding": "binary",
            "x-experience-api-hash": sha2,
          },
          body: content,
        },
      ]);
      const res = await postMultipart(body.contentType, body.body);
      expect(res.statusCode).toBe(200);

      const plain = await t.app.inject({
        method: "GET",
        url: `/xapi/statements?statementId=${statement.id}`,
        headers: t.headers(),
      });
      expect(plain.headers["content-type"]).toMatch(/^application\/json/);

      const got = await t.app.inject({
        method: "GET",
        url: `/xapi/statements?statementId=${statement.id}&attachments=true`,
        headers: t.headers(),
      });
      expect(got.statusCode).toBe(200);
      const parts = parseMultipartMixed(got.rawPayload, got.headers["content-type"] as string);
      expect(JSON.parse(parts[0]?.body.toString("utf8") ?? "").id).toBe(statement.id);
      expect(parts[1]?.headers["x-experience-api-hash"]).toBe(sha2);
      expect(parts[1]?.body.equals(content)).toBe(true);
    });

    it("refuses an attachment whose content does not match its hash, and one without its part", async () => {
      const content = Buffer.from("the real essay");
      const { statement, sha2 } = withFile(content);
      const tampered = buildMultipartMixed([
        { headers: { "content-type": "application/json" }, body: JSON.stringify(statement) },
        {
          headers: {
            "content-type": "text/plain",
            "content-transfer-encoding": "binary",
            "x-experience-api-hash": sha2,
          },
          body: "another essay",
        },
      ]);
      expect((await postMultipart(tampered.contentType, tampered.body)).statusCode).toBe(400);
      const json = await t.app.inject({
        method: "POST",
        url: "/xapi/statements",
        headers: { ...t.headers(), "content-type": "application/json" },
        payload: JSON.stringify(statement),
      });
      expect(json.statusCode).toBe(400);
      expect(json.json().error.message).toMatch(/attachment/i);
      const stray = buildMultipartMixed([
        {
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...base, id: randomUUID() }),
        },
        {
          headers: {
            "content-type": "text/plain",
            "content-transfer-encoding": "binary",
            "x-experience-api-hash": sha2,
          },
          body: content,
        },
      ]);
      expect((await postMultipart(stray.contentType, stray.body)).statusCode).toBe(400);
    });

    it("accepts an attachment by fileUrl alone, in plain JSON", async () => {
      const statement = {
        ...base,
        attachments: [
          {
            usageType: "https://example.org/slides",
            display: { en: "Slides" },
            contentType: "application/pdf",
            length: 10,
            sha2: "a".repeat(64),
            fileUrl: "https://example.org/slides.pdf",
          },
        ],
      };
      const res = await t.app.inject({
        method: "POST",
        url: "/xapi/statements",
        headers: { ...t.headers(), "content-type": "application/json" },
        payload: JSON.stringify(statement),
      });
      expect(res.statusCode).toBe(200);
    });

    it("verifies signed statements: accepts a valid JWS with x5c, refuses a tampered one", async () => {
      const keys = rsaKeys();
      const certificate = selfSignedCertificate(keys);
      const good = await signedStatementRequest({ ...base, id: randomUUID() }, keys.privateKey, certificate);
      expect((await postMultipart(good.contentType, good.body)).statusCode).toBe(200);

      const other = await signedStatementRequest({ ...base, id: randomUUID() }, keys.privateKey, certificate);
      // The statement sent differs from what was signed: refused.
      const tamperedStatement = { ...other.statement, verb: { id: "http://adlnet.gov/expapi/verbs/passed" } };
      const sha2 = other.statement.attachments?.[0]?.sha2 as string;
      const tampered = buildMultipartMixed([
        { headers: { "content-type": "application/json" }, body: JSON.stringify(tamperedStatement) },
        {
          headers: {
            "content-type": "application/octet-stream",
            "content-transfer-encoding": "binary",
            "x-experience-api-hash": sha2,
          },
          body: other.jws,
        },
      ]);
      const res = await postMultipart(tampered.contentType, tampered.body);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(/sign/i);
    });
  });
}
