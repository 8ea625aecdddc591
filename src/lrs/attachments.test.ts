import { createHash } from "node:crypto";
import { CompactSign } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import {
  type RsaKeys,
  rsaKeys,
  selfSignedCertificate,
  signatureAttachment,
  signedStatementRequest,
  signStatement,
} from "../../test/helpers/sign.js";
import {
  type Attachment,
  buildMultipartMixed,
  type MultipartPart,
  parseMultipartMixed,
  SIGNATURE_USAGE_TYPE,
  type Statement,
} from "../xapi/index.js";
import { checkStatementPart, pairAttachments } from "./attachments.js";

const TEXT1 = "here is a simple attachment";
const TEXT2 = "here is another simple attachment";
const sha256 = (content: string | Buffer) => createHash("sha256").update(content).digest("hex");

function attachment(content: string, overrides: Partial<Attachment> = {}): Attachment {
  return {
    usageType: "http://example.com/attachment-usage/test",
    display: { "en-US": "A test attachment" },
    contentType: "text/plain",
    length: Buffer.byteLength(content),
    sha2: sha256(content),
    ...overrides,
  };
}

function statement(attachments: Attachment[], id?: string): Statement {
  return {
    ...(id === undefined ? {} : { id }),
    actor: { objectType: "Agent", mbox: "mailto:sample.agent@example.com" },
    verb: { id: "http://adlnet.gov/expapi/verbs/answered" },
    object: { id: "http://www.example.com/tincan/activities/multipart" },
    attachments,
  };
}

function part(content: string | Buffer, headers: Record<string, string> = {}): MultipartPart {
  const body = Buffer.isBuffer(content) ? content : Buffer.from(content);
  return {
    headers: {
      "content-type": "text/plain",
      "content-transfer-encoding": "binary",
      "x-experience-api-hash": sha256(body),
      ...headers,
    },
    body,
  };
}

describe("checkStatementPart", () => {
  it("accepts an application/json first part, with or without parameters", () => {
    for (const type of ["application/json", "Application/JSON; charset=utf-8"]) {
      expect(checkStatementPart([{ headers: { "content-type": type }, body: Buffer.from("{}") }])).toEqual(
        [],
      );
    }
  });

  it("refuses no parts, a first part without Content-Type, and one that is not application/json (XAPI-00134)", () => {
    expect(checkStatementPart([], "1.0.3")).toEqual([
      {
        path: "parts[0]",
        rule: "XAPI-00134 (Communication 1.5.2.s2.b2.b1)",
        message: "the multipart body has no part; the first must hold the statements",
      },
    ]);
    expect(checkStatementPart([{ headers: {}, body: Buffer.from("{}") }])[0]?.message).toBe(
      "part 1 has no Content-Type header; it must be application/json",
    );
    expect(checkStatementPart([part("{}")], "2.0.0")).toEqual([
      {
        path: "parts[0]",
        rule: "XAPI-00134 (xAPI 2.0 4.1.3)",
        message: 'part 1 has Content-Type "text/plain"; the statements part must be application/json',
      },
    ]);
  });
});

describe("pairAttachments accepts", () => {
  it("the suite's two-attachment request, parsed from its LF-only template", async () => {
    const stmt = statement([attachment(TEXT1), attachment(TEXT2)]);
    const text = [
      "---------314159265358979323846",
      "Content-Type: application/json",
      "",
      JSON.stringify(stmt),
      ...[TEXT1, TEXT2].flatMap((content) => [
        "---------314159265358979323846",
        'Content-Disposition: attachment; filename="text_data.txt"',
        "Content-Type: text/plain",
        "Content-Transfer-Encoding: binary",
        `X-Experience-API-Hash: ${sha256(content)}`,
        "",
        content,
      ]),
      "---------314159265358979323846--",
      "",
    ].join("\n");
    const [first, ...rest] = parseMultipartMixed(
      Buffer.from(text),
      "multipart/mixed; boundary=-------314159265358979323846",
    );
    expect(checkStatementPart(first ? [first] : [])).toEqual([]);
    const { problems, files } = await pairAttachments([stmt], rest, { version: "1.0.3" });
    expect(problems).toEqual([]);
    expect(files.map((f) => [f.sha2, f.contentType, f.content.toString()])).toEqual([
      [sha256(TEXT1), "text/plain", TEXT1],
      [sha256(TEXT2), "text/plain", TEXT2],
    ]);
  });

  it("attachments with fileUrl and no part, and no attachments at all", async () => {
    const withUrl = statement([attachment(TEXT1, { fileUrl: "http://over.there.com/file.txt" })]);
    expect(await pairAttachments([withUrl], [])).toEqual({ problems: [], files: [] });
    expect(await pairAttachments([statement([])], [])).toEqual({ problems: [], files: [] });
  });

  it("one part for content that several statements reference, and a repeated copy of a part", async () => {
    const shared = attachment(TEXT1);
    const statements = [
      statement([shared]),
      statement([shared, attachment(TEXT1, { contentType: "text/plain; charset=ascii" })]),
    ];
    const { problems, files } = await pairAttachments(statements, [part(TEXT1), part(TEXT1)]);
    expect(problems).toEqual([]);
    expect(files).toHaveLength(1);
  });

  it("SHA-384 and SHA-512 hashes, in upper-case hex too, and binary content with CRLF and boundary-like bytes", async () => {
    const content = Buffer.from("\r\n--boundary\r\n\u0000\u00ff", "latin1");
    for (const algorithm of ["sha384", "sha512"]) {
      const hash = createHash(algorithm).update(content).digest("hex").toUpperCase();
      const stmt = statement([
        attachment("", { sha2: hash, length: content.length, contentType: "application/octet-stream" }),
      ]);
      const parts = [
        part(content, { "x-experience-api-hash": hash, "content-type": "application/octet-stream" }),
      ];
      const { problems, files } = await pairAttachments([stmt], parts);
      expect(problems).toEqual([]);
      expect(files[0]?.sha2).toBe(hash.toLowerCase());
      expect(files[0]?.content.equals(content)).toBe(true);
    }
  });

  it("a part without Content-Transfer-Encoding when told to assume binary (the LRS SHOULD)", async () => {
    const parts = [part(TEXT1)];
    delete parts[0]?.headers["content-transfer-encoding"];
    const stmt = statement([attachment(TEXT1)]);
    expect((await pairAttachments([stmt], parts)).problems).toHaveLength(1);
    expect((await pairAttachments([stmt], parts, { assumeBinaryTransferEncoding: true })).problems).toEqual(
      [],
    );
  });

  it("attachments of a SubStatement", async () => {
    const stmt: Statement = {
      ...statement([]),
      object: { ...statement([attachment(TEXT1)]), objectType: "SubStatement" } as Statement["object"],
    };
    expect((await pairAttachments([stmt], [part(TEXT1)])).problems).toEqual([]);
    expect((await pairAttachments([stmt], [])).problems[0]?.path).toBe("statements[0].object.attachments[0]");
  });
});

describe("pairAttachments refuses", () => {
  const stmt = statement([attachment(TEXT1)]);

  it("a part without X-Experience-API-Hash (XAPI-00132), and a hash that is not SHA-2 hex", async () => {
    const noHash = part(TEXT1);
    delete noHash.headers["x-experience-api-hash"];
    const { problems } = await pairAttachments([stmt], [noHash], { version: "1.0.3" });
    expect(problems).toContainEqual({
      path: "parts[1]",
      rule: "XAPI-00132 (Communication 1.5.2.s2.b2.b3)",
      message: "part 2 has no X-Experience-API-Hash header",
    });
    const notHex = await pairAttachments([stmt], [part(TEXT1, { "x-experience-api-hash": "xyz" })]);
    expect(notHex.problems[0]?.message).toBe(
      'part 2\'s X-Experience-API-Hash "xyz" is not a hex SHA-2 digest',
    );
  });

  it("a part whose hash matches no attachment: a wrong hash, or an excess part (XAPI-00128)", async () => {
    const wrong = "b018994f8bbe0f08992a65c48c8c8c56f09e9baceaa6227ed85c90ae52b73c89";
    const { problems } = await pairAttachments([stmt], [part(TEXT1, { "x-experience-api-hash": wrong })]);
    expect(problems).toEqual([
      {
        path: "parts[1]",
        rule: "XAPI-00128 (xAPI 2.0 4.1.3)",
        message: `part 2's X-Experience-API-Hash ${wrong} matches the sha2 of no attachment in the statements`,
      },
      {
        path: "statements[0].attachments[0]",
        rule: "XAPI-00129 (xAPI 2.0 4.1.3)",
        message: `the attachment (sha2 ${sha256(TEXT1)}) has no fileUrl and no part with that X-Experience-API-Hash`,
      },
    ]);
    const excess = await pairAttachments([stmt], [part(TEXT1), part(TEXT2)]);
    expect(excess.problems.map((p) => p.path)).toEqual(["parts[2]"]);
  });

  it("an attachment without fileUrl and without its part (XAPI-00129)", async () => {
    const two = statement([attachment(TEXT1), attachment(TEXT2)]);
    const { problems } = await pairAttachments([two], [part(TEXT1)], { version: "1.0.3" });
    expect(problems).toEqual([
      {
        path: "statements[0].attachments[1]",
        rule: "XAPI-00129 (Communication 1.5.2.s3.b5)",
        message: `the attachment (sha2 ${sha256(TEXT2)}) has no fileUrl and no part with that X-Experience-API-Hash`,
      },
    ]);
  });

  it("a Content-Transfer-Encoding other than binary, as the suite sends (base64), or none by default (XAPI-00135)", async () => {
    const { problems } = await pairAttachments(
      [stmt],
      [part(TEXT1, { "content-transfer-encoding": "base64" })],
    );
    expect(problems).toEqual([
      {
        path: "parts[1]",
        rule: "XAPI-00135 (xAPI 2.0 4.1.3)",
        message: 'part 2 has Content-Transfer-Encoding "base64"; attachment parts must be binary',
      },
    ]);
    const missing = part(TEXT1);
    delete missing.headers["content-transfer-encoding"];
    expect((await pairAttachments([stmt], [missing])).problems[0]?.message).toBe(
      "part 2 has no Content-Transfer-Encoding header; attachment parts must be sent as binary",
    );
  });

  it("content that does not hash to the declared X-Experience-API-Hash", async () => {
    const forged = part("here is a forged attachment", { "x-experience-api-hash": sha256(TEXT1) });
    const { problems, files } = await pairAttachments([stmt], [forged], { version: "1.0.3" });
    expect(problems).toEqual([
      {
        path: "parts[1]",
        rule: "Communication 1.5.2.s1.b4",
        message: `part 2's content does not hash to its X-Experience-API-Hash ${sha256(TEXT1)}`,
      },
    ]);
    expect(files).toEqual([]);
  });

  it("a part whose Content-Type or Content-Length contradicts the attachment object", async () => {
    const { problems } = await pairAttachments(
      [stmt],
      [part(TEXT1, { "content-type": "image/png", "content-length": "3" })],
    );
    expect(problems.map((p) => p.message)).toEqual([
      'part 2 has Content-Type "image/png" but statements[0].attachments[0] has contentType "text/plain"',
      "part 2 has Content-Length 3 but statements[0].attachments[0] has length 27",
    ]);
  });
});

describe("pairAttachments with signed statements", () => {
  let keys: RsaKeys;
  let certificate: string;
  const base = statement([], "0bd8d1a8-59d7-4f30-9f5d-9cd57d36f1f6");
  delete base.attachments;

  beforeAll(() => {
    keys = rsaKeys();
    certificate = selfSignedCertificate(keys);
  });

  async function pairRequest(contentType: string, body: Buffer, version: "1.0.3" | "2.0.0" = "2.0.0") {
    const [first, ...rest] = parseMultipartMixed(body, contentType);
    const statements = [JSON.parse(first?.body.toString() ?? "null") as Statement];
    return pairAttachments(statements, rest, { version });
  }

  it("accepts a signed statement, with and without x5c, and keeps the JWS as a file", async () => {
    for (const cert of [undefined, certificate]) {
      const request = await signedStatementRequest(base, keys.privateKey, cert);
      const { problems, files } = await pairRequest(request.contentType, request.body);
      expect(problems).toEqual([]);
      expect(files).toEqual([
        {
          sha2: sha256(request.jws),
          contentType: "application/octet-stream",
          content: Buffer.from(request.jws),
        },
      ]);
    }
  });

  it("refuses a signature attachment whose contentType is not application/octet-stream (XAPI-00115)", async () => {
    const jws = await signStatement(base, keys.privateKey);
    const sig = signatureAttachment(jws, { contentType: "text/plain; charset=ascii" });
    const sigPart = part(jws, { "content-type": "text/plain; charset=ascii" });
    const { problems } = await pairAttachments([{ ...base, attachments: [sig] }], [sigPart], {
      version: "1.0.3",
    });
    expect(problems).toEqual([
      {
        path: "statements[0].attachments[0]",
        rule: "XAPI-00115 (Data 2.6.s4.b1)",
        message:
          'a signature attachment must have contentType "application/octet-stream", not "text/plain; charset=ascii"',
      },
    ]);
  });

  it("refuses a signature attachment that has no part, even with a fileUrl (XAPI-00115)", async () => {
    const jws = await signStatement(base, keys.privateKey);
    const sig = signatureAttachment(jws, { fileUrl: "http://example.com/sig.jws" });
    const { problems } = await pairAttachments([{ ...base, attachments: [sig] }], []);
    expect(problems[0]?.message).toBe(
      `the signature attachment (sha2 ${sig.sha2}) has no part carrying the JWS`,
    );
  });

  it("refuses the suite's bad signatures: HS256, and a payload that is not JSON", async () => {
    const secret = new TextEncoder().encode("a secret that is long enough for HS256 signing here");
    const hs256 = await new CompactSign(new TextEncoder().encode(JSON.stringify(base)))
      .setProtectedHeader({ alg: "HS256" })
      .sign(secret);
    const broken = await new CompactSign(new TextEncoder().encode(JSON.stringify(base).replace('"', "'")))
      .setProtectedHeader({ alg: "RS256" })
      .sign(keys.privateKey);
    for (const [jws, rule] of [
      [hs256, "XAPI-00117 (xAPI 2.0 4.2.6)"],
      [broken, "XAPI-00116 (xAPI 2.0 4.2.6)"],
    ] as const) {
      const sig = signatureAttachment(jws);
      const { problems } = await pairAttachments(
        [{ ...base, attachments: [sig] }],
        [part(jws, { "content-type": "application/octet-stream" })],
      );
      expect(problems).toHaveLength(1);
      expect(problems[0]?.rule).toBe(rule);
      expect(problems[0]?.path).toMatch(/^statements\[0\]\.attachments\[0\]\./);
    }
  });

  it("refuses a statement changed after signing, and a signature that fails its x5c certificate", async () => {
    const request = await signedStatementRequest(base, keys.privateKey, certificate);
    const changed = { ...request.statement, verb: { id: "http://adlnet.gov/expapi/verbs/failed" } };
    const sigPart = part(request.jws, { "content-type": "application/octet-stream" });
    const mismatch = await pairAttachments([changed], [sigPart]);
    expect(mismatch.problems.map((p) => p.path)).toEqual(["statements[0].attachments[0].payload.verb.id"]);

    const other = await signStatement(changed, keys.privateKey, certificate);
    const [h, , s] = other.split(".");
    const [, p] = request.jws.split(".");
    const tampered = `${h}.${p}.${s}`;
    const sig = signatureAttachment(tampered);
    const { problems } = await pairAttachments(
      [{ ...base, attachments: [sig] }],
      [part(tampered, { "content-type": "application/octet-stream" })],
    );
    expect(problems.map((x) => x.path)).toEqual(["statements[0].attachments[0].header.x5c"]);
  });

  it("checks signatures of every statement of a batch, each against its own statement", async () => {
    const one = await signedStatementRequest(base, keys.privateKey);
    const twoBase = { ...base, id: "5a7d3f5e-1a3b-4c1e-9e2f-3b1c2d4e5f60" };
    const two = await signedStatementRequest(twoBase, keys.privateKey);
    const parts = [one, two].map((r) => part(r.jws, { "content-type": "application/octet-stream" }));
    expect((await pairAttachments([one.statement, two.statement], parts)).problems).toEqual([]);
    // Swap the signatures: each now signs the other statement.
    const swapped = [
      { ...one.statement, attachments: two.statement.attachments },
      { ...two.statement, attachments: one.statement.attachments },
    ] as Statement[];
    const { problems } = await pairAttachments(swapped, parts);
    expect(problems.map((p) => p.path)).toEqual([
      "statements[0].attachments[0].payload.id",
      "statements[1].attachments[0].payload.id",
    ]);
  });

  it("round-trips through the builder used for GET responses", async () => {
    const request = await signedStatementRequest(base, keys.privateKey, certificate);
    const { files } = await pairRequest(request.contentType, request.body, "1.0.3");
    const response = buildMultipartMixed([
      {
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ statements: [request.statement] }),
      },
      ...files.map((f) => ({
        headers: {
          "Content-Type": f.contentType,
          "Content-Transfer-Encoding": "binary",
          "X-Experience-API-Hash": f.sha2,
        },
        body: f.content,
      })),
    ]);
    const parsed = parseMultipartMixed(response.body, response.contentType);
    expect(parsed[1]?.body.toString()).toBe(request.jws);
    expect(parsed[1]?.headers["x-experience-api-hash"]).toBe(request.statement.attachments?.[0]?.sha2);
    expect(request.statement.attachments?.[0]?.usageType).toBe(SIGNATURE_USAGE_TYPE);
  });
});
