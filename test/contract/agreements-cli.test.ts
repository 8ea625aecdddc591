import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { agreementCommands } from "../../src/cli/agreements.js";
import { backends } from "../helpers/databases.js";

/** Runs `learnpool <args>` in process with the agreement commands; returns what it printed. */
async function run(args: string[]): Promise<{ out: string; code: number }> {
  const root = new Command("learnpool").exitOverride();
  for (const c of agreementCommands()) root.addCommand(c.exitOverride());
  let out = "";
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  process.exitCode = 0;
  try {
    await root.parseAsync(args, { from: "user" });
  } finally {
    spy.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = 0;
  return { out, code };
}

for (const backend of await backends()) {
  describe(`learnpool participant / agreement (${backend.name})`, () => {
    afterEach(() => {
      process.exitCode = 0;
    });

    it("registers participants, makes keys, proposes, signs, checks and terminates", async () => {
      const dir = mkdtempSync(join(tmpdir(), "learnpool-agreements-"));
      const db = backend.name === "sqlite" ? join(dir, "lp.db") : await backend.location();
      const key = (id: string) => join(dir, `${id}.jwk`);
      for (const [id, role] of [
        ["op", "operator"],
        ["univ", "provider"],
        ["lab", "consumer"],
      ]) {
        await run(["participant", "add", id!, "--role", role!, "--create-store", "--db", db]);
        const { out } = await run([
          "participant",
          "keygen",
          "--out",
          key(id!),
          "--participant",
          id!,
          "--db",
          db,
        ]);
        const publicJwk = JSON.parse(out);
        expect(publicJwk).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA" });
        expect(publicJwk.d).toBeUndefined();
        expect(statSync(key(id!)).mode & 0o777).toBe(0o600);
      }
      await expect(run(["participant", "keygen", "--out", key("op"), "--db", db])).rejects.toThrow(
        /never overwritten/,
      );
      const list = JSON.parse((await run(["participant", "list", "--db", db])).out);
      expect(list.map((p: { id: string; role: string }) => `${p.id}:${p.role}`)).toEqual([
        "lab:consumer",
        "op:operator",
        "univ:provider",
      ]);
      const jwks = JSON.parse((await run(["participant", "jwks", "lab", "--db", db])).out);
      expect(jwks.keys).toHaveLength(1);

      const draftFile = join(dir, "draft.json");
      writeFileSync(
        draftFile,
        JSON.stringify({
          parties: [
            { participant: "op", role: "operator" },
            { participant: "univ", role: "provider" },
            { participant: "lab", role: "consumer" },
          ],
          notAfter: "2099-01-01T00:00:00Z",
          policy: {
            "@context": "http://www.w3.org/ns/odrl.jsonld",
            "@type": "Agreement",
            assigner: "urn:learnpool:participant:univ",
            assignee: "urn:learnpool:participant:lab",
            target: "urn:learnpool:dataset:univ",
            permission: [{ action: "use" }],
          },
        }),
      );
      const proposed = JSON.parse(
        (await run(["agreement", "propose", "--draft", draftFile, "--as", "lab", "--db", db])).out,
      );
      expect(proposed.status.state).toBe("proposed");
      const id: string = proposed.id;
      const canonical = (await run(["agreement", "show", id, "--canonical", "--db", db])).out;
      expect(JSON.parse(canonical).id).toBe(id);

      for (const who of ["lab", "univ"]) await run(["agreement", "sign", id, "--key", key(who), "--db", db]);
      let status = await run(["agreement", "status", id, "--db", db]);
      expect(JSON.parse(status.out)).toMatchObject({ state: "proposed", missing: ["op"] });
      expect(status.code).toBe(1);
      await run(["agreement", "sign", id, "--key", key("op"), "--db", db]);
      status = await run(["agreement", "status", id, "--db", db]);
      expect(JSON.parse(status.out)).toMatchObject({ state: "final", valid: true });
      expect(status.code).toBe(0);
      // The lab's key does not make the university's signature.
      await expect(
        run(["agreement", "sign", id, "--key", key("lab"), "--as", "univ", "--db", db]),
      ).rejects.toThrow(/already|not participant 'univ''s/);

      const verified = await run(["agreement", "verify", id, "--db", db]);
      expect(JSON.parse(verified.out)).toMatchObject({ ok: true, events: 4 });
      expect(verified.code).toBe(0);

      await expect(
        run(["agreement", "revoke", id, "--key", key("univ"), "--reason", "mine", "--db", db]),
      ).rejects.toThrow(/only the operator revokes/);
      const ended = await run([
        "agreement",
        "terminate",
        id,
        "--key",
        key("univ"),
        "--reason",
        "study over",
        "--db",
        db,
      ]);
      expect(JSON.parse(ended.out)).toMatchObject({ state: "terminated", valid: false });
      expect(JSON.parse(ended.out).reason).toMatch(/terminated by univ .*: study over/);
      const listed = JSON.parse((await run(["agreement", "list", "--participant", "univ", "--db", db])).out);
      expect(listed.map((a: { id: string }) => a.id)).toEqual([id]);
    });
  });
}
