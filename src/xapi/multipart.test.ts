import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildMultipartMixed, MultipartError, multipartBoundary, parseMultipartMixed } from "./multipart.js";

const SUITE_BOUNDARY = "-------314159265358979323846";
const SUITE_TYPE = `multipart/mixed; boundary=${SUITE_BOUNDARY}`;
const STATEMENT = JSON.stringify({
  actor: { mbox: "mailto:sample.agent@example.com" },
  verb: { id: "http://adlnet.gov/expapi/verbs/answered" },
  object: { id: "http://www.example.com/tincan/activities/multipart" },
});

/** The conformance suite's 1.0.3 .part templates, which are LF files. */
function suiteTemplate(eol: string): Buffer {
  return Buffer.from(
    [
      `--${SUITE_BOUNDARY}`,
      "Content-Type: application/json",
      "",
      STATEMENT,
      `--${SUITE_BOUNDARY}`,
      'Content-Disposition: attachment; filename="text_data.txt"',
      "Content-Type: text/plain",
      "Content-Transfer-Encoding: binary",
      "X-Experience-API-Hash: 495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
      "",
      "here is a simple attachment",
      `--${SUITE_BOUNDARY}--`,
      "",
    ].join(eol),
    "latin1",
  );
}

describe("parseMultipartMixed", () => {
  it("reads the suite's templates with CRLF and with LF-only line endings", () => {
    for (const eol of ["\r\n", "\n"]) {
      const parts = parseMultipartMixed(suiteTemplate(eol), SUITE_TYPE);
      expect(parts).toHaveLength(2);
      expect(parts[0]?.headers).toEqual({ "content-type": "application/json" });
      expect(parts[0]?.body.toString()).toBe(STATEMENT);
      expect(parts[1]?.headers["x-experience-api-hash"]).toBe(
        "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a",
      );
      expect(parts[1]?.headers["content-disposition"]).toBe('attachment; filename="text_data.txt"');
      expect(parts[1]?.body.toString()).toBe("here is a simple attachment");
    }
  });

  it("reads the suite's signed-statement bodies: leading CRLF, no space after colons, no CRLF after the close", () => {
    const body = Buffer.from(
      `\r\n--b1\r\nContent-Type:application/json\r\n\r\n${STATEMENT}\r\n--b1\r\nContent-Type:application/octet-stream\r\nContent-Transfer-Encoding:binary\r\nX-Experience-API-Hash:abc\r\n\r\nx.y.z\r\n--b1--`,
    );
    const parts = parseMultipartMixed(body, "multipart/mixed; boundary=b1");
    expect(parts.map((p) => p.body.toString())).toEqual([STATEMENT, "x.y.z"]);
    expect(parts[1]?.headers).toEqual({
      "content-type": "application/octet-stream",
      "content-transfer-encoding": "binary",
      "x-experience-api-hash": "abc",
    });
  });

  it("takes a quoted boundary with every character class the specification's example uses", () => {
    const boundary = "abcABC0123'()+_,-./:=?";
    const body = Buffer.from(
      `--${boundary}\r\nContent-Type:application/json\r\n\r\n{}\r\n--${boundary}--\r\n`,
    );
    expect(multipartBoundary(`multipart/mixed; boundary="${boundary}"`)).toBe(boundary);
    expect(
      parseMultipartMixed(body, `Multipart/Mixed; charset=x; Boundary="${boundary}"`)[0]?.body.toString(),
    ).toBe("{}");
  });

  it("ignores a preamble and an epilogue, and transport padding after delimiters", () => {
    const body = Buffer.from(
      "This is the preamble.\r\n--b \t\r\nA: 1\r\n\r\none\r\n--b\r\nB: 2\r\n\r\ntwo\r\n--b--  \r\nThis is the epilogue.\r\n--b\r\n",
    );
    const parts = parseMultipartMixed(body, "multipart/mixed; boundary=b");
    expect(parts.map((p) => [p.headers, p.body.toString()])).toEqual([
      [{ a: "1" }, "one"],
      [{ b: "2" }, "two"],
    ]);
  });

  it("keeps boundary-like octets that are not delimiters inside the part", () => {
    // "--abc" followed by anything but "--", padding or a line end is content; so is a bare LF in a CRLF body.
    const content = Buffer.from("x\r\n--abcdef\r\n--abc-\r\n--ab\r\n\n--abc\r\ny\r\n", "latin1");
    const body = Buffer.concat([
      Buffer.from("--abc\r\nContent-Type: application/octet-stream\r\n\r\n"),
      content,
      Buffer.from("\r\n--abc--"),
    ]);
    const [part] = parseMultipartMixed(body, "multipart/mixed; boundary=abc");
    expect(part?.body.equals(content)).toBe(true);
  });

  it("reads a part without headers, an empty part, folded and repeated headers", () => {
    const body = Buffer.from(
      "--b\r\n\r\nno headers\r\n--b\r\nX-Long: first\r\n  second\r\nX-Rep: 1\r\nx-rep: 2\r\n\r\n\r\n--b\r\nX-Only: yes\r\n--b--",
    );
    const parts = parseMultipartMixed(body, "multipart/mixed; boundary=b");
    expect(parts.map((p) => [p.headers, p.body.toString()])).toEqual([
      [{}, "no headers"],
      [{ "x-long": "first second", "x-rep": "1, 2" }, ""],
      [{ "x-only": "yes" }, ""],
    ]);
  });

  it("returns views into the request body, and reads a multi-megabyte binary part quickly", () => {
    const content = randomBytes(8 * 1024 * 1024);
    const { contentType, body } = buildMultipartMixed([
      { headers: { "Content-Type": "application/json" }, body: "[]" },
      { headers: { "Content-Type": "application/octet-stream" }, body: content },
    ]);
    const started = performance.now();
    const parts = parseMultipartMixed(body, contentType);
    const elapsed = performance.now() - started;
    expect(parts[1]?.body.equals(content)).toBe(true);
    expect(parts[1]?.body.buffer).toBe(body.buffer);
    expect(elapsed).toBeLessThan(500);
  });

  describe("refuses malformed bodies with a message saying what and where", () => {
    const cases: [string, string, string, RegExp][] = [
      [
        "a multipart/form-data content type",
        "multipart/form-data; boundary=b",
        "--b\r\n\r\nx\r\n--b--",
        /not multipart\/mixed/,
      ],
      ["no boundary parameter", "multipart/mixed;", "--b\r\n\r\nx\r\n--b--", /no boundary parameter/],
      ["an empty boundary", 'multipart/mixed; boundary=""', "--b\r\n\r\nx\r\n--b--", /no boundary parameter/],
      [
        "no delimiter in the body",
        "multipart/mixed; boundary=b",
        "Content-Type: application/json\r\n\r\n{}",
        /no delimiter line "--b"/,
      ],
      [
        "a delimiter not at the start of a line",
        "multipart/mixed; boundary=b",
        "x--b\r\n\r\n{}\r\nx--b--",
        /no delimiter line/,
      ],
      [
        "no closing delimiter",
        "multipart/mixed; boundary=b",
        "--b\r\nA: 1\r\n\r\none\r\n--b\r\n\r\ntwo",
        /part 2 is not terminated/,
      ],
      ["only a closing delimiter", "multipart/mixed; boundary=b", "--b--\r\n", /no parts/],
      [
        "a header line without a colon",
        "multipart/mixed; boundary=b",
        "--b\r\nA: 1\r\ngarbage\r\n\r\nx\r\n--b--",
        /part 1 has a malformed header line "garbage"/,
      ],
      [
        "statement text where headers belong",
        "multipart/mixed; boundary=b",
        '--b\r\n{"a":1}\r\n--b--',
        /part 1 has a malformed header line/,
      ],
    ];
    for (const [name, type, text, message] of cases) {
      it(name, () => {
        expect(() => parseMultipartMixed(Buffer.from(text), type)).toThrow(MultipartError);
        expect(() => parseMultipartMixed(Buffer.from(text), type)).toThrow(message);
      });
    }
  });
});

describe("buildMultipartMixed", () => {
  it("writes CRLF, headers as given, and a boundary that parses back", () => {
    const { contentType, body } = buildMultipartMixed(
      [
        { headers: { "Content-Type": "application/json" }, body: "{}" },
        { headers: { "X-Experience-API-Hash": "ab" }, body: Buffer.from([0, 13, 10, 255]) },
      ],
      "fixed",
    );
    expect(contentType).toBe("multipart/mixed; boundary=fixed");
    expect(body.toString("latin1")).toBe(
      "--fixed\r\nContent-Type: application/json\r\n\r\n{}\r\n--fixed\r\nX-Experience-API-Hash: ab\r\n\r\n\u0000\r\n\u00ff\r\n--fixed--\r\n",
    );
  });

  it("quotes a boundary that is not a token", () => {
    const { contentType, body } = buildMultipartMixed([{ headers: {}, body: "x" }], "a b:c");
    expect(contentType).toBe('multipart/mixed; boundary="a b:c"');
    expect(parseMultipartMixed(body, contentType)[0]?.body.toString()).toBe("x");
  });

  it("refuses a boundary that occurs in a part, an invalid boundary, and header injection", () => {
    expect(() => buildMultipartMixed([{ headers: {}, body: "x\r\n--b\r\n" }], "b")).toThrow(
      /occurs inside a part/,
    );
    expect(() => buildMultipartMixed([{ headers: {}, body: "x" }], "ends with space ")).toThrow(
      /not a valid/,
    );
    expect(() => buildMultipartMixed([{ headers: { A: "1\r\nB: 2" }, body: "x" }])).toThrow(/line break/);
  });

  it("round-trips any binary parts, including CRLF and boundary-like octets", () => {
    const octets = fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes));
    // Mix in the octets most likely to confuse a parser: line ends, dashes and the boundary's own prefix.
    const tricky = fc
      .array(fc.constantFrom("\r\n", "\n", "\r", "--", "--xapi-", "\r\n--", "\r\n--xapi-0", "a"), {
        maxLength: 20,
      })
      .map((pieces) => Buffer.from(pieces.join(""), "latin1"));
    const part = fc.record({
      headers: fc.dictionary(
        fc.constantFrom("Content-Type", "X-Experience-API-Hash", "X-A"),
        fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, "").trim()),
      ),
      body: fc.oneof(octets, tricky),
    });
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const { contentType, body } = buildMultipartMixed(parts);
        const parsed = parseMultipartMixed(body, contentType);
        expect(parsed).toHaveLength(parts.length);
        parts.forEach((p, i) => {
          expect(parsed[i]?.body.equals(p.body)).toBe(true);
          const lower = Object.fromEntries(Object.entries(p.headers).map(([k, v]) => [k.toLowerCase(), v]));
          expect(parsed[i]?.headers).toEqual(lower);
        });
      }),
      { numRuns: 300 },
    );
  });
});
