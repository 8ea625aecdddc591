import { describe, expect, it } from "vitest";
import { migrations, UniqueViolation } from "../../src/store/index.js";
import { backends } from "../helpers/databases.js";

for (const backend of await backends()) {
  describe(`store on ${backend.name}`, () => {
    it("applies every migration once and records it", async () => {
      const db = await backend.open();
      const rows = await db.all<{ version: number }>(
        "SELECT version FROM schema_migrations ORDER BY version",
      );
      expect(rows.map((r) => Number(r.version))).toEqual(migrations.map((m) => m.version));
      await db.close();
    });

    it("rolls back a failed transaction entirely", async () => {
      const db = await backend.open();
      await expect(
        db.transaction(async (tx) => {
          await tx.run("INSERT INTO stores (id, title, created_at) VALUES (?, ?, ?)", ["a", "A", "now"]);
          await tx.run("INSERT INTO stores (id, title, created_at) VALUES (?, ?, ?)", ["a", "again", "now"]);
        }),
      ).rejects.toBeInstanceOf(UniqueViolation);
      expect(await db.all("SELECT * FROM stores")).toEqual([]);
      await db.close();
    });

    it("inserts many rows and reads them back in order", async () => {
      const db = await backend.open();
      const rows = Array.from({ length: 1200 }, (_, i) => [
        `s${String(i).padStart(4, "0")}`,
        `Store ${i}`,
        "now",
      ]);
      await db.transaction((tx) => tx.insertMany("stores", ["id", "title", "created_at"], rows));
      const back = await db.all<{ id: string }>("SELECT id FROM stores ORDER BY id");
      expect(back.length).toBe(1200);
      expect(back[0]?.id).toBe("s0000");
      expect(back[1199]?.id).toBe("s1199");
      await db.close();
    });

    it("keeps a plain query out of a concurrently open transaction", async () => {
      const db = await backend.open();
      let release!: () => void;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      const tx = db.transaction(async (t) => {
        await t.run("INSERT INTO stores (id, title, created_at) VALUES (?, ?, ?)", ["x", "X", "now"]);
        await gate;
        throw new Error("abandon");
      });
      const outside = db.all("SELECT id FROM stores");
      release();
      await expect(tx).rejects.toThrow("abandon");
      expect(await outside).toEqual([]);
      await db.close();
    });
  });
}
