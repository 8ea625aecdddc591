import { createHash, randomBytes } from "node:crypto";
import {
  DLEQProof,
  deriveKeyPair,
  Evaluation,
  EvaluationRequest,
  type Group,
  Oprf,
  type Scalar,
  VOPRFClient,
  VOPRFServer,
} from "@cloudflare/voprf-ts";
import { CryptoNoble } from "@cloudflare/voprf-ts/crypto-noble";
import { describe, expect, it } from "vitest";
import { CryptoSodium, expandMessageXmdSha512, invertAll } from "../../src/privacy/oprf-sodium.js";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const bytes = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
const SUITE = Oprf.Suite.RISTRETTO255_SHA512;
const sodiumGroup = Oprf.getGroup(SUITE, CryptoSodium);
const nobleGroup = Oprf.getGroup(SUITE, CryptoNoble);

/** RFC 9497 appendix A.1.2: VOPRF mode, ristretto255-SHA512. */
const RFC9497 = {
  seed: "a3".repeat(32),
  keyInfo: "74657374206b6579",
  skSm: "e6f73f344b79b379f1a0dd37e07ff62e38d9f71345ce62ae3a9bc60b04ccd909",
  pkSm: "c803e2cc6b05fc15064549b5920659ca4a77b2cca6f04f6b357009335476ad4e",
  vectors: [
    {
      input: ["00"],
      blind: ["64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706"],
      blinded: ["863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945"],
      evaluated: ["aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e"],
      proof:
        "ddef93772692e535d1a53903db24367355cc2cc78de93b3be5a8ffcc6985dd06" +
        "6d4346421d17bf5117a2a1ff0fcb2a759f58a539dfbe857a40bce4cf49ec600d",
      proofRandomScalar: "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
      output: [
        "b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7d" +
          "a4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c",
      ],
    },
    {
      input: ["5a".repeat(17)],
      blind: ["64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706"],
      blinded: ["cc0b2a350101881d8a4cba4c80241d74fb7dcbfde4a61fde2f91443c2bf9ef0c"],
      evaluated: ["60a59a57208d48aca71e9e850d22674b611f752bed48b36f7a91b372bd7ad468"],
      proof:
        "401a0da6264f8cf45bb2f5264bc31e109155600babb3cd4e5af7d181a2c9dc0a" +
        "67154fabf031fd936051dec80b0b6ae29c9503493dde7393b722eafdf5a50b02",
      proofRandomScalar: "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
      output: [
        "8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60" +
          "356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6",
      ],
    },
    {
      input: ["00", "5a".repeat(17)],
      blind: [
        "64d37aed22a27f5191de1c1d69fadb899d8862b58eb4220029e036ec4c1f6706",
        "222a5e897cf59db8145db8d16e597e8facb80ae7d4e26d9881aa6f61d645fc0e",
      ],
      blinded: [
        "863f330cc1a1259ed5a5998a23acfd37fb4351a793a5b3c090b642ddc439b945",
        "90a0145ea9da29254c3a56be4fe185465ebb3bf2a1801f7124bbbadac751e654",
      ],
      evaluated: [
        "aa8fa048764d5623868679402ff6108d2521884fa138cd7f9c7669a9a014267e",
        "cc5ac221950a49ceaa73c8db41b82c20372a4c8d63e5dded2db920b7eee36a2a",
      ],
      proof:
        "cc203910175d786927eeb44ea847328047892ddf8590e723c37205cb74600b0a" +
        "5ab5337c8eb4ceae0494c2cf89529dcf94572ed267473d567aeed6ab873dee08",
      proofRandomScalar: "419c4f4f5052c53c45f3da494d2b67b220d02118e0857cdbcf037f9ea84bbe0c",
      output: [
        "b58cfbe118e0cb94d79b5fd6a6dafb98764dff49c14e1770b566e42402da1a7d" +
          "a4d8527693914139caee5bd03903af43a491351d23b430948dd50cde10d32b3c",
        "8a9a2f3c7f085b65933594309041fc1898d42d0858e59f90814ae90571a6df60" +
          "356f4610bf816f27afdd84f47719e480906d27ecd994985890e5f539e7ea74b6",
      ],
    },
  ],
};

/** A client whose blinds are given, in order, instead of drawn. */
class FixedBlindClient extends VOPRFClient {
  blinds: Scalar[] = [];
  override randomBlinder(): Promise<Scalar> {
    const next = this.blinds.shift();
    if (!next) throw new Error("no blind left");
    return Promise.resolve(next);
  }
}

/** A server whose proof randomness is given instead of drawn. */
class FixedProofServer extends VOPRFServer {
  setProofRandomScalar(r: Scalar) {
    this.prover.randomScalar = () => Promise.resolve(r);
  }
}

describe("libsodium ristretto255 provider for voprf-ts", () => {
  it("RFC 9380 K.3 expand_message_xmd(SHA-512) known answers", () => {
    const dst = new TextEncoder().encode("QUUX-V01-CS02-with-expander-SHA512-256");
    const te = new TextEncoder();
    expect(hex(expandMessageXmdSha512(te.encode(""), dst, 0x20))).toBe(
      "6b9a7312411d92f921c6f68ca0b6380730a1a4d982c507211a90964c394179ba",
    );
    expect(hex(expandMessageXmdSha512(te.encode("abc"), dst, 0x20))).toBe(
      "0da749f12fbe5483eb066a5f595055679b976e93abe9be6f0f6318bce7aca8dc",
    );
    expect(hex(expandMessageXmdSha512(te.encode("abc"), dst, 0x80))).toBe(
      "7f1dddd13c08b543f2e2037b14cefb255b44c83cc397c1786d975653e36a6b11bdd7732d8b38adb4a0edc26a0cef4bb4" +
        "5217135456e58fbca1703cd6032cb1347ee720b87972d63fbf232587043ed2901bce7f22610c0419751c065922b48843" +
        "1851041310ad659e4b23520e1772ab29dcdeb2002222a363f0c2b1c972b3efe1",
    );
    // A tag over 255 bytes is replaced by its hash (RFC 9380 §5.3.3).
    const long = new Uint8Array(300).fill(0x41);
    const hashed = createHash("sha512").update("H2C-OVERSIZE-DST-").update(long).digest();
    expect(hex(expandMessageXmdSha512(te.encode("abc"), long, 64))).toBe(
      hex(expandMessageXmdSha512(te.encode("abc"), new Uint8Array(hashed), 64)),
    );
  });

  it("RFC 9497 A.1.2 VOPRF ristretto255-SHA512: key pair, blinded and evaluated elements, proofs, outputs", async () => {
    const pair = await deriveKeyPair(
      Oprf.Mode.VOPRF,
      SUITE,
      bytes(RFC9497.seed),
      bytes(RFC9497.keyInfo),
      CryptoSodium,
    );
    expect(hex(pair.privateKey)).toBe(RFC9497.skSm);
    expect(hex(pair.publicKey)).toBe(RFC9497.pkSm);
    for (const v of RFC9497.vectors) {
      const client = new FixedBlindClient(SUITE, pair.publicKey, CryptoSodium);
      client.blinds = v.blind.map((b) => sodiumGroup.desScalar(bytes(b)));
      const server = new FixedProofServer(SUITE, pair.privateKey, CryptoSodium);
      server.setProofRandomScalar(sodiumGroup.desScalar(bytes(v.proofRandomScalar)));

      const inputs = v.input.map(bytes);
      const [finData, request] = await client.blind(inputs);
      expect(request.blinded.map((e) => hex(e.serialize()))).toEqual(v.blinded);
      const evaluation = await server.blindEvaluate(request);
      expect(evaluation.evaluated.map((e) => hex(e.serialize()))).toEqual(v.evaluated);
      expect(hex((evaluation.proof as DLEQProof).serialize())).toBe(v.proof);
      const outputs = await client.finalize(finData, evaluation);
      expect(outputs.map(hex)).toEqual(v.output);
      for (const [i, input] of inputs.entries()) {
        expect(await server.verifyFinalize(input, outputs[i] as Uint8Array)).toBe(true);
      }
    }
  });

  it("gives the noble provider's bytes for the same key, blinds and inputs, and each verifies the other's proof", async () => {
    const seed = randomBytes(32);
    const info = new TextEncoder().encode("learnpool");
    const [ps, pn] = await Promise.all([
      deriveKeyPair(Oprf.Mode.VOPRF, SUITE, seed, info, CryptoSodium),
      deriveKeyPair(Oprf.Mode.VOPRF, SUITE, seed, info, CryptoNoble),
    ]);
    expect(hex(ps.privateKey)).toBe(hex(pn.privateKey));
    expect(hex(ps.publicKey)).toBe(hex(pn.publicKey));

    const inputs = Array.from({ length: 20 }, (_, i) =>
      new TextEncoder().encode(`pseudonym\u0000learner-${i}`),
    );
    const blinds = inputs.map(() => hex(reduce(randomBytes(64))));
    const r = hex(reduce(randomBytes(64)));
    const run = async (provider: typeof CryptoSodium, group: Group) => {
      const client = new FixedBlindClient(SUITE, ps.publicKey, provider);
      client.blinds = blinds.map((b) => group.desScalar(bytes(b)));
      const server = new FixedProofServer(SUITE, ps.privateKey, provider);
      server.setProofRandomScalar(group.desScalar(bytes(r)));
      const [fin, req] = await client.blind(inputs);
      const ev = await server.blindEvaluate(req);
      return {
        blinded: req.blinded.map((e) => hex(e.serialize())),
        evaluated: ev.evaluated.map((e) => hex(e.serialize())),
        proof: hex((ev.proof as DLEQProof).serialize()),
        output: (await client.finalize(fin, ev)).map(hex),
        direct: await Promise.all(inputs.map(async (x) => hex(await server.evaluate(x)))),
      };
    };
    const [s, n] = [await run(CryptoSodium, sodiumGroup), await run(CryptoNoble, nobleGroup)];
    expect(s).toEqual(n);
    expect(s.direct).toEqual(s.output);

    // Sodium client, noble server (fresh randomness on both sides): the proof verifies, outputs agree.
    const client = new VOPRFClient(SUITE, ps.publicKey, CryptoSodium);
    const [fin, req] = await client.blind(inputs);
    const nobleServer = new VOPRFServer(SUITE, ps.privateKey, CryptoNoble);
    const ev = await nobleServer.blindEvaluate(
      new EvaluationRequest(req.blinded.map((e) => nobleGroup.desElt(e.serialize()))),
    );
    const back = new Evaluation(
      Oprf.Mode.VOPRF,
      ev.evaluated.map((e) => sodiumGroup.desElt(e.serialize())),
      DLEQProof.deserialize(sodiumGroup.id, (ev.proof as DLEQProof).serialize(), CryptoSodium),
    );
    expect((await client.finalize(fin, back)).map(hex)).toEqual(s.output);
  });

  it("group arithmetic agrees with noble: add, neg, mul, mul2, mulGen, scalar field", async () => {
    for (let i = 0; i < 10; i++) {
      const [a, b] = [reduce(randomBytes(64)), reduce(randomBytes(64))];
      const msg = randomBytes(40);
      const dst = new TextEncoder().encode("test-dst");
      const S = { a: sodiumGroup.desScalar(a), b: sodiumGroup.desScalar(b) };
      const N = { a: nobleGroup.desScalar(a), b: nobleGroup.desScalar(b) };
      const Ps = await sodiumGroup.hashToGroup(msg, dst);
      const Pn = await nobleGroup.hashToGroup(msg, dst);
      expect(hex(Ps.serialize())).toBe(hex(Pn.serialize()));
      expect(hex((await sodiumGroup.hashToScalar(msg, dst)).serialize())).toBe(
        hex((await nobleGroup.hashToScalar(msg, dst)).serialize()),
      );
      const Qs = sodiumGroup.mulGen(S.b);
      const Qn = nobleGroup.mulGen(N.b);
      expect(hex(Qs.serialize())).toBe(hex(Qn.serialize()));
      expect(hex(Ps.add(Qs).serialize())).toBe(hex(Pn.add(Qn).serialize()));
      expect(hex(Ps.neg().serialize())).toBe(hex(Pn.neg().serialize()));
      expect(hex(Ps.mul(S.a).serialize())).toBe(hex(Pn.mul(N.a).serialize()));
      expect(hex(Ps.mul2(S.a, Qs, S.b).serialize())).toBe(hex(Pn.mul2(N.a, Qn, N.b).serialize()));
      for (const op of ["add", "sub", "mul"] as const) {
        expect(hex(S.a[op](S.b).serialize())).toBe(hex(N.a[op](N.b).serialize()));
      }
      expect(hex(S.a.inv().serialize())).toBe(hex(N.a.inv().serialize()));
    }
  });

  it("identity: products that reach it, refused as input, refused inverse of zero", async () => {
    const zero = sodiumGroup.newScalar();
    const P = await sodiumGroup.hashToGroup(new Uint8Array([1]), new Uint8Array([2]));
    expect(P.mul(zero).isIdentity()).toBe(true);
    expect(
      sodiumGroup
        .identity()
        .mul(sodiumGroup.desScalar(reduce(randomBytes(64))))
        .isIdentity(),
    ).toBe(true);
    expect(sodiumGroup.mulGen(zero).isIdentity()).toBe(true);
    expect(P.add(P.neg()).isIdentity()).toBe(true);
    expect(P.add(sodiumGroup.identity()).isEqual(P)).toBe(true);
    expect(hex(sodiumGroup.identity().serialize())).toBe("00".repeat(32));
    expect(() => sodiumGroup.desElt(new Uint8Array(32))).toThrow(/identity/);
    expect(() => zero.inv()).toThrow(/inverse of zero/);
  });

  it("deserialization refuses bad lengths, non-canonical and off-group encodings, scalars ≥ order", () => {
    const P = sodiumGroup.generator().serialize();
    expect(() => sodiumGroup.desElt(P.subarray(0, 31))).toThrow(/deserialization/);
    expect(() => sodiumGroup.desElt(Uint8Array.of(...P, 0))).toThrow(/deserialization/);
    expect(() => sodiumGroup.desElt(new Uint8Array(32).fill(0xff))).toThrow(/deserialization/);
    expect(() => sodiumGroup.desElt(Uint8Array.of(1, ...new Uint8Array(31)))).toThrow(/deserialization/);
    // The group order L, little-endian, and L + 1: not canonical scalars. L − 1 is.
    const L = bytes("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    expect(() => sodiumGroup.desScalar(L)).toThrow(/deserialization/);
    expect(() => sodiumGroup.desScalar(Uint8Array.of((L[0] as number) + 1, ...L.subarray(1)))).toThrow(
      /deserialization/,
    );
    expect(() => nobleGroup.desScalar(L)).toThrow();
    const lMinus1 = Uint8Array.of((L[0] as number) - 1, ...L.subarray(1));
    expect(hex(sodiumGroup.desScalar(lMinus1).serialize())).toBe(hex(lMinus1));
    expect(() => sodiumGroup.desScalar(new Uint8Array(31))).toThrow(/deserialization/);
    expect(() => Oprf.getGroup(Oprf.Suite.P256_SHA256, CryptoSodium)).toThrow(/ristretto255 only/);
  });

  it("batch inversion gives each scalar its inverse", async () => {
    const scalars = await Promise.all(Array.from({ length: 9 }, () => sodiumGroup.randomScalar()));
    const expected = scalars.map((s) => hex(s.inv().serialize()));
    invertAll(scalars);
    expect(scalars.map((s) => hex(s.inv().serialize()))).toEqual(expected);
    const one = hex(sodiumGroup.desScalar(Uint8Array.of(1, ...new Uint8Array(31))).serialize());
    for (const s of scalars) expect(hex(s.mul(s.inv()).serialize())).toBe(one);
  });
});

/** Bytes (little-endian) reduced modulo the group order, as a canonical scalar encoding, in BigInt. */
function reduce(wide: Uint8Array): Uint8Array {
  let n = 0n;
  for (let i = wide.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(wide[i] as number);
  const L = 2n ** 252n + 27742317777372353535851937790883648493n;
  n %= L;
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  return out;
}
