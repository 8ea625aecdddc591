import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Preparation } from "../../src/lrs/statements/prepare.js";
import { prepareJson } from "../../src/lrs/statements/prepare.js";

// The worker thread runs compiled JavaScript: these tests use the build (`npm run build`, done by npm ci).
const compiled = new URL("../../dist/src/lrs/statements/preparer.js", import.meta.url);
const built = existsSync(compiled);

function batch(n: number, bad?: number): Buffer {
  return Buffer.from(
    JSON.stringify(
      Array.from({ length: n }, (_, i) => ({
        id: randomUUID(),
        actor: i === bad ? { mbox: "not-an-mbox" } : { mbox: `mailto:l${i}@example.org` },
        verb: { id: "http://adlnet.gov/expapi/verbs/experienced" },
        object: { id: `https://example.org/a/${i}`, definition: { name: { en: `Activity ${i}` } } },
        context: { contextActivities: { parent: { id: "https://example.org/course" } } },
      })),
    ),
  );
}

describe.skipIf(!built)("statement preparation on a worker thread", () => {
  it("gives the same preparation as inline, and the same refusal", async () => {
    const { StatementPreparer } = (await import(
      compiled.href
    )) as typeof import("../../src/lrs/statements/preparer.js");
    const preparer = new StatementPreparer({ threshold: 0 });
    try {
      const good = batch(300);
      const viaWorker = (await preparer.prepare(good, "2.0.0")) as Extract<Preparation, { ok: true }>;
      const inline = prepareJson(good, "2.0.0") as Extract<Preparation, { ok: true }>;
      expect(viaWorker.ok).toBe(true);
      expect(viaWorker.batch.statements.map((s) => s.json)).toEqual(
        inline.batch.statements.map((s) => s.json),
      );
      expect(viaWorker.batch.statements[0]?.index).toEqual(inline.batch.statements[0]?.index);
      expect(viaWorker.batch.definitions.activities.length).toBe(300);

      const refused = await preparer.prepare(batch(300, 217), "2.0.0");
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.problems[0]?.path).toMatch(/^statements\[217\]\.actor/);

      const broken = await preparer.prepare(Buffer.from([0x5b, 0xff, 0x5d]), "2.0.0");
      expect(broken).toMatchObject({ ok: false, message: expect.stringMatching(/UTF-8/) });
      // Many batches at once come back to their own callers.
      const many = await Promise.all(
        Array.from({ length: 8 }, (_, i) => preparer.prepare(batch(20 + i), "1.0.3")),
      );
      expect(many.map((p) => (p.ok ? p.batch.statements.length : -1))).toEqual([
        20, 21, 22, 23, 24, 25, 26, 27,
      ]);
    } finally {
      await preparer.close();
    }
  });
});
