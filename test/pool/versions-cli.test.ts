import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openDatabase } from "../../src/store/index.js";
import { sqliteBackend } from "../helpers/databases.js";
import { runDataset, specText, versionsWorld } from "./fixtures/versions/setup.js";

describe("learnpool dataset build|list|show|download|sweep (SQLite file)", () => {
  it("records each build as the next version, downloads it for its consumer only, and supersedes it after a withdrawal", async () => {
    const tmp = mkdtempSync(join(tmpdir(), "learnpool-versions-cli-"));
    const file = await sqliteBackend.location();
    try {
      // The commands judge consent and agreements now.
      const v = await versionsWorld(await openDatabase(file), { clock: new Date(Date.now() - 60_000) });
      const { downloadable, L } = v;
      writeFileSync(join(tmp, "spec.yaml"), specText("cli-set", downloadable, ["univ", "mooc"], "v1"));
      writeFileSync(join(tmp, "spec2.yaml"), specText("cli-set", downloadable, ["univ", "mooc"], "v2"));

      const built = await runDataset(["build", join(tmp, "spec.yaml"), "--db", file, "--actor", "op"]);
      expect(built.stderr).toBe("");
      expect(built.code).toBe(0);
      const first = JSON.parse(built.stdout) as { version: { id: string; version: string }; dir: string };
      expect(first.version).toMatchObject({ name: "cli-set", version: "1.0.0" });
      const second = JSON.parse(
        (await runDataset(["build", join(tmp, "spec2.yaml"), "--db", file, "--actor", "op"])).stdout,
      ) as { version: { id: string; version: string } };
      expect(second.version.version).toBe("1.1.0");

      const listed = JSON.parse((await runDataset(["list", "--db", file, "--state", "current"])).stdout);
      expect(listed.versions.map((x: { id: string }) => x.id).sort()).toEqual(
        [first.version.id, second.version.id].sort(),
      );
      const badState = await runDataset(["list", "--db", file, "--state", "gone"]);
      expect(badState.code).toBe(1);
      expect(badState.stderr).toMatch(/state is current, superseded, deleted/);
      const shown = JSON.parse((await runDataset(["show", first.version.id, "--db", file])).stdout);
      expect(shown).toMatchObject({ state: "current", consumer: "lab", events: [{ kind: "recorded" }] });

      const out = join(tmp, "copy");
      const copied = await runDataset([
        "download",
        first.version.id,
        "--out",
        out,
        "--db",
        file,
        "--actor",
        "lab",
      ]);
      expect(copied.stderr).toBe("");
      expect(JSON.parse(copied.stdout)).toMatchObject({
        decision: { decision: "Permit" },
        files: shown.files.length,
      });
      expect(readFileSync(join(out, "lineage.json"), "utf8")).toBe(
        readFileSync(join(first.dir, "lineage.json"), "utf8"),
      );
      const other = await runDataset([
        "download",
        first.version.id,
        "--out",
        join(tmp, "x"),
        "--as",
        "univ",
        "--db",
        file,
      ]);
      expect(other.code).toBe(1);
      expect(other.stderr).toMatch(/'univ' is not the consumer/);
      expect(existsSync(join(tmp, "x"))).toBe(false);
      const notEmpty = await runDataset(["download", first.version.id, "--out", out, "--db", file]);
      expect(notEmpty.code).toBe(1);
      expect(notEmpty.stderr).toMatch(/is not empty/);

      v.w.clock.now = new Date();
      await v.withdraw(L.drops);
      await v.close();
      const swept = JSON.parse((await runDataset(["sweep", "--db", file])).stdout);
      expect(swept.superseded.superseded.map((s: { id: string }) => s.id).sort()).toEqual(
        [first.version.id, second.version.id].sort(),
      );
      expect(swept.deleted.deleted).toEqual([]);
      const refused = await runDataset(["download", first.version.id, "--out", join(tmp, "y"), "--db", file]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/superseded/);
      const notes = JSON.parse(
        (await runDataset(["notifications", "--db", file, "--state", "pending"])).stdout,
      );
      expect(notes.notifications).toHaveLength(2);
      expect(readdirSync(out).length).toBeGreaterThan(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      for (const s of ["", "-wal", "-shm"]) rmSync(file + s, { force: true });
    }
  });
});
