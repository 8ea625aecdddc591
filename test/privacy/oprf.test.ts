import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../../src/audit/index.js";
import { Lrs } from "../../src/lrs/index.js";
import { DomainKeys } from "../../src/privacy/domains.js";
import { normalizeIdentifier } from "../../src/privacy/identifiers.js";
import {
  OprfPseudonymizer,
  OprfService,
  type OprfTransport,
  oprfKeyPair,
  RateLimiter,
} from "../../src/privacy/oprf.js";
import type { Database } from "../../src/store/index.js";
import { sqliteBackend } from "../helpers/databases.js";

function direct(service: OprfService, storeId: string, seen?: string[][]): OprfTransport {
  return {
    publicKey: (domainId) => service.publicKey(domainId),
    evaluate: (domainId, blinded, keyId) => {
      seen?.push(blinded);
      return service.evaluate({ storeId, actor: `${storeId}-key`, domainId, blinded, keyId });
    },
  };
}

describe("OPRF (RFC 9497 VOPRF, ristretto255-SHA512)", () => {
  let db: Database;
  let service: OprfService;
  let domains: DomainKeys;
  beforeAll(async () => {
    db = await sqliteBackend.open();
    const lrs = new Lrs(db, { authorityHomePage: "http://lrs.test" });
    for (const s of ["p1", "p2"]) await lrs.tenancy.createStore(s, s, "test");
    const audit = new AuditLog(db);
    domains = new DomainKeys(db, audit, { master: randomBytes(32) });
    await domains.create("a", { members: ["p1", "p2"], actor: "t" });
    await domains.create("b", { members: ["p1", "p2"], actor: "t" });
    service = new OprfService(domains, audit);
  });
  afterAll(async () => {
    await db.close();
  });

  const ids = ["ada@example.org", "bob@example.org", "carol@example.org"].map((e) =>
    normalizeIdentifier("email", e),
  );

  it("derives the key pair deterministically from the domain key", async () => {
    const k = randomBytes(32);
    const [x, y] = [await oprfKeyPair(k), await oprfKeyPair(Buffer.from(k))];
    expect(Buffer.from(x.publicKey).equals(Buffer.from(y.publicKey))).toBe(true);
    expect(Buffer.from((await oprfKeyPair(randomBytes(32))).publicKey).equals(Buffer.from(x.publicKey))).toBe(
      false,
    );
  });

  it("same secret at two providers of a domain, unrelated ones across domains and purposes", async () => {
    const seen: string[][] = [];
    const p1 = await OprfPseudonymizer.connect(direct(service, "p1", seen), "a", { batchSize: 2 });
    const p2 = await OprfPseudonymizer.connect(direct(service, "p2"), "a");
    const p1b = await OprfPseudonymizer.connect(direct(service, "p1"), "b");
    const [s1, s2, sb, st] = await Promise.all([
      p1.derive(ids, "pseudonym"),
      p2.derive([...ids].reverse(), "pseudonym"),
      p1b.derive(ids, "pseudonym"),
      p1.derive(ids, "time-offset"),
    ]);
    expect(seen.map((b) => b.length).sort()).toEqual([1, 1, 2, 2]);
    expect(s1.size).toBe(3);
    for (const [text, secret] of s1) {
      expect(secret).toHaveLength(32);
      expect(s2.get(text)?.equals(secret)).toBe(true);
      expect(sb.get(text)?.equals(secret)).toBe(false);
      expect(st.get(text)?.equals(secret)).toBe(false);
    }
    expect(p1.domain).toMatch(/\/domains\/a$/);
    // The service saw blinded elements only: fresh blinds make the same identifier look different.
    const again: string[][] = [];
    await (await OprfPseudonymizer.connect(direct(service, "p1", again), "a")).derive(
      ids.slice(0, 1),
      "pseudonym",
    );
    expect(seen.flat()).not.toContain(again[0]?.[0]);
  });

  it("refuses an evaluation whose proof does not verify against the domain's public key", async () => {
    const wrong = await service.publicKey("b");
    const good = await service.publicKey("a");
    const transport = direct(service, "p1");
    const p = new OprfPseudonymizer(transport, "a", { ...good, publicKey: wrong.publicKey });
    await expect(p.derive(ids, "pseudonym")).rejects.toThrow(/proof does not verify/);
    expect(() => new OprfPseudonymizer(transport, "a", good, { pinnedPublicKey: wrong.publicKey })).toThrow(
      /other than the pinned one/,
    );
  });

  it("after rotation, the old key still evaluates by key id", async () => {
    const before = await (await OprfPseudonymizer.connect(direct(service, "p1"), "b")).derive(
      ids,
      "pseudonym",
    );
    await domains.rotate("b", "t");
    const now = await OprfPseudonymizer.connect(direct(service, "p1"), "b");
    expect(now.keyId).toBe("k2");
    const after = await now.derive(ids, "pseudonym");
    const oldKey = await service.publicKey("b", "k1");
    const old = await new OprfPseudonymizer(direct(service, "p1"), "b", oldKey).derive(ids, "pseudonym");
    for (const [text, secret] of before) {
      expect(after.get(text)?.equals(secret)).toBe(false);
      expect(old.get(text)?.equals(secret)).toBe(true);
    }
  });

  it("rate limiter: a token bucket per store", () => {
    let now = 0;
    const limiter = new RateLimiter(100, 3600, () => now);
    expect(limiter.take("p1", 80).ok).toBe(true);
    const refused = limiter.take("p1", 30);
    expect(refused).toEqual({ ok: false, retryAfter: 360 });
    expect(limiter.take("p2", 30).ok).toBe(true);
    now += 360_000;
    expect(limiter.take("p1", 30).ok).toBe(true);
  });
});
