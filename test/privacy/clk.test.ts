import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  bitsPerToken,
  ClkEncoder,
  ClkValueError,
  clkToBase64,
  doubleHashInto,
  LinkageSchemaError,
  ngrams,
  parseLinkageSchema,
  popcount,
  tokenize,
} from "../../src/privacy/clk.js";

const fixtures = join(import.meta.dirname, "fixtures/linkage");

interface Reference {
  secret: string;
  cases: { name: string; schema: unknown; records: string[][]; clks: string[] }[];
  singularity: Record<string, number>;
}
const reference = JSON.parse(readFileSync(join(fixtures, "reference.json"), "utf8")) as Reference;

const baseSchema = () => ({
  version: 3,
  clkConfig: { l: 1024, kdf: { type: "HKDF", hash: "SHA256", salt: "c2FsdA==", keySize: 64 } },
  features: [
    { identifier: "id", ignored: true },
    {
      identifier: "name",
      format: { type: "string", encoding: "utf-8" },
      hashing: { comparison: { type: "ngram", n: 2 }, strategy: { bitsPerFeature: 200 } },
    },
    {
      identifier: "dob",
      format: { type: "date", format: "%Y-%m-%d" },
      hashing: {
        comparison: { type: "ngram", n: 1, positional: true },
        strategy: { bitsPerToken: 20 },
        hash: { type: "doubleHash" },
        missingValue: { sentinel: "", replaceWith: "" },
      },
    },
  ],
});

const secret = Buffer.from("a shared linkage secret of the agreement");

describe("tokenization (clkhash comparators)", () => {
  it("pads n-grams with n-1 spaces on each side", () => {
    expect(ngrams("clkhash", 2)).toEqual([" c", "cl", "lk", "kh", "ha", "as", "sh", "h "]);
    expect(ngrams("ab", 3)).toEqual(["  a", " ab", "ab ", "b  "]);
    expect(ngrams("ab", 1)).toEqual(["a", "b"]);
  });

  it("numbers positional n-grams from 1", () => {
    expect(ngrams("clkhash", 2, true)).toEqual([
      "1  c",
      "2 cl",
      "3 lk",
      "4 kh",
      "5 ha",
      "6 as",
      "7 sh",
      "8 h ",
    ]);
  });

  it("counts characters, not UTF-16 units, and gives nothing for an empty value", () => {
    expect(ngrams("é😀", 2)).toEqual([" é", "é😀", "😀 "]);
    expect(tokenize({ type: "ngram", n: 2, positional: false }, "")).toEqual([]);
    expect(tokenize({ type: "exact" }, "M")).toEqual(["M"]);
  });

  it("makes numeric neighbourhoods as clkhash does", () => {
    // clkhash's docstring: threshold 8, resolution 2: x = 25 is quantized to 26 → tokens 88…120
    const c = { type: "numeric", thresholdDistance: 8, resolution: 2, fractionalPrecision: 0 } as const;
    expect(tokenize(c, "25")).toEqual(["88", "96", "104", "112", "120"]);
  });

  it("shares bitsPerFeature among tokens, the first ones getting the remainder", () => {
    expect(bitsPerToken({ bitsPerFeature: 10 }, 3)).toEqual([4, 3, 3]);
    expect(bitsPerToken({ bitsPerToken: 7 }, 2)).toEqual([7, 7]);
    expect(bitsPerToken({ bitsPerFeature: 10 }, 0)).toEqual([]);
  });
});

describe("CLK encoding", () => {
  it("matches the known-answer CLKs of the Python reference, bit for bit", () => {
    for (const c of reference.cases) {
      const encoder = new ClkEncoder(parseLinkageSchema(c.schema), Buffer.from(reference.secret));
      const got = c.records.map((r) => clkToBase64(encoder.encode(r)));
      expect(got, c.name).toEqual(c.clks);
    }
  });

  it("reproduces clkhash's double-hash singularity case (tests/test_bloomfilter.py)", () => {
    // HMAC-MD5(b'secret2', '635') ≡ 0 mod 1024: plain doubleHash puts all 20 bits of '635' on one.
    for (const [token, h2] of Object.entries(reference.singularity)) {
      const md5 = createHmac("md5", "secret2").update(token).digest();
      expect(BigInt(`0x${md5.toString("hex")}`) % 1024n).toBe(BigInt(h2));
      const keys = [Buffer.from("secret1"), Buffer.from("secret2")];
      const plain = new Uint8Array(128);
      doubleHashInto(plain, 1024, [Buffer.from(token)], [20], keys, false);
      const fixed = new Uint8Array(128);
      doubleHashInto(fixed, 1024, [Buffer.from(token)], [20], keys, true);
      if (h2 === 0) {
        expect(popcount(plain)).toBe(1);
        expect(popcount(fixed)).toBeGreaterThan(1);
      } else {
        expect(popcount(plain)).toBeGreaterThan(1);
        expect(fixed).toEqual(plain);
      }
    }
  });

  it("is deterministic and depends on the secret", () => {
    const schema = parseLinkageSchema(baseSchema());
    const record = ["7", "Ada Lovelace", "1815-12-10"];
    const a = new ClkEncoder(schema, secret).encode(record);
    const b = new ClkEncoder(schema, secret).encode(record);
    const c = new ClkEncoder(schema, Buffer.from("another secret")).encode(record);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.length).toBe(128);
    expect(popcount(a)).toBeGreaterThan(150);
  });

  it("depends on the salt, and ignores the id column", () => {
    const s1 = parseLinkageSchema(baseSchema());
    const other = baseSchema();
    other.clkConfig.kdf.salt = "cGVwcGVy";
    const s2 = parseLinkageSchema(other);
    const r = ["1", "Ada", "1815-12-10"];
    expect(new ClkEncoder(s1, secret).encode(r)).not.toEqual(new ClkEncoder(s2, secret).encode(r));
    expect(new ClkEncoder(s1, secret).encode(["2", "Ada", "1815-12-10"])).toEqual(
      new ClkEncoder(s1, secret).encode(r),
    );
  });

  it("writes a missing value as no bits", () => {
    const encoder = new ClkEncoder(parseLinkageSchema(baseSchema()), secret);
    const full = encoder.encode(["1", "Ada", "1815-12-10"]);
    const missing = encoder.encode(["1", "Ada", ""]);
    expect(popcount(missing)).toBeLessThan(popcount(full));
    expect(missing).toEqual(encoder.encode(["9", "Ada", ""]));
  });

  it("refuses a value that does not fit, naming the row and feature but not the value", () => {
    const encoder = new ClkEncoder(parseLinkageSchema(baseSchema()), secret);
    let error: unknown;
    try {
      encoder.encode(["1", "Ada", "10/12/1815"], 12);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ClkValueError);
    expect((error as Error).message).toBe('row 12, feature "dob": not a date in the format %Y-%m-%d');
    expect((error as Error).message).not.toContain("1815");
    expect(() => encoder.encode(["1", "Ada", "1815-02-30"])).toThrow(/not a date/);
  });
});

describe("schema validation", () => {
  const broken = (edit: (s: ReturnType<typeof baseSchema>) => void) => {
    const s = baseSchema();
    edit(s);
    return () => parseLinkageSchema(s);
  };

  it("names the feature and the property at fault", () => {
    expect(
      broken((s) => {
        (s.features[1] as { hashing: { strategy: unknown } }).hashing.strategy = {};
      }),
    ).toThrow('linkage schema: feature "name": hashing.strategy: needs exactly one of bitsPerToken');
    expect(
      broken((s) => {
        (s.features[2] as { format: unknown }).format = { type: "date", format: "%Q" };
      }),
    ).toThrow('feature "dob": format.format: the directive %Q is not supported');
    expect(
      broken((s) => {
        (s.features[1] as { hashing: { comparison: unknown } }).hashing.comparison = { type: "soundex" };
      }),
    ).toThrow('feature "name": hashing.comparison.type');
    expect(
      broken((s) => {
        (s.features[1] as { format: unknown }).format = { type: "text" };
      }),
    ).toThrow('feature "name": format.type');
    expect(
      broken((s) => {
        s.features.push({ identifier: "name", ignored: true });
      }),
    ).toThrow('feature "name": identifier repeated');
  });

  it("checks the version, clkConfig and the blakeHash constraints", () => {
    expect(
      broken((s) => {
        s.version = 2;
      }),
    ).toThrow("only linkage schema version 3");
    expect(
      broken((s) => {
        s.clkConfig.l = 1000;
      }),
    ).toThrow('feature "name": hashing.hash: blakeHash needs l·2^xorFolds to be a power of two');
    expect(
      broken((s) => {
        s.clkConfig.kdf.salt = "not base64!";
      }),
    ).toThrow("clkConfig.kdf.salt: must be base64");
    expect(
      broken((s) => {
        s.clkConfig.kdf.type = "PBKDF2";
      }),
    ).toThrow("clkConfig.kdf.type");
  });

  it("gives the same fingerprint to the same schema whatever the key order", () => {
    const a = parseLinkageSchema(baseSchema());
    const reordered = JSON.parse(JSON.stringify(baseSchema(), Object.keys(baseSchema()).reverse()));
    const b = parseLinkageSchema({ ...reordered, ...baseSchema() });
    expect(a.fingerprint).toBe(b.fingerprint);
    expect(a.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it("reports LinkageSchemaError instances", () => {
    expect(() => parseLinkageSchema([])).toThrow(LinkageSchemaError);
  });
});
