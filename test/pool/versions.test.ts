import { createHash } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { verifyWebhookSignature } from "../../src/consent/index.js";
import { signDeletion } from "../../src/contract/index.js";
import {
  checkFilePath,
  DatasetNotifications,
  DatasetVersions,
  type DeletionEvidence,
  inventory,
  nextVersionAfter,
  VersionError,
  verifyDeletionEvidence,
} from "../../src/pool/versions/index.js";
import { backends } from "../helpers/databases.js";
import { downloadablePolicy, later, type VersionsWorld, versionsWorld } from "./fixtures/versions/setup.js";

const DAY = 86_400_000;

const refused = (status: number, message: RegExp) => (err: unknown) => {
  expect(err).toBeInstanceOf(VersionError);
  expect((err as VersionError).message).toMatch(message);
  expect((err as VersionError).status).toBe(status);
  return true;
};

describe("dataset version rules", () => {
  it("numbers versions 1.0.0, then the highest with its minor raised", () => {
    expect(nextVersionAfter([])).toBe("1.0.0");
    expect(nextVersionAfter(["1.0.0"])).toBe("1.1.0");
    expect(nextVersionAfter(["1.9.0", "1.10.0", "1.2.3", "junk"])).toBe("1.11.0");
    expect(nextVersionAfter(["2.0.1", "1.5.0"])).toBe("2.1.0");
  });

  it("inventories every regular file with its SHA-256, sorted, and follows no link", () => {
    const dir = mkdtempSync(join(tmpdir(), "learnpool-inventory-"));
    try {
      mkdirSync(join(dir, "data"));
      writeFileSync(join(dir, "data", "b.txt"), "bee");
      writeFileSync(join(dir, "a.txt"), "a");
      symlinkSync("/etc/hostname", join(dir, "outside"));
      expect(inventory(dir)).toEqual([
        { path: "a.txt", sha256: createHash("sha256").update("a").digest("hex"), bytes: 1 },
        { path: "data/b.txt", sha256: createHash("sha256").update("bee").digest("hex"), bytes: 3 },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("accepts only plain relative paths inside a version", () => {
    expect(checkFilePath("data/train-00000-of-00001.parquet")).toBe("data/train-00000-of-00001.parquet");
    for (const bad of ["../x", "/etc/passwd", "data/../../x", "data//x", "./x", ""])
      expect(() => checkFilePath(bad), bad).toThrow(/path/);
  });
});

for (const backend of await backends()) {
  describe(`dataset versions (${backend.name})`, () => {
    let v: VersionsWorld;
    beforeEach(async () => {
      v = await versionsWorld(await backend.open());
    });
    afterEach(async () => {
      await v.close();
    });

    it("records a build with its inventory, numbers the next one, lists and shows it", async () => {
      const first = await v.build();
      expect(first).toMatchObject({
        name: "dropout-slice",
        version: "1.0.0",
        agreement: v.downloadable,
        consumer: "lab",
        state: "current",
        learners: 3,
        builtBy: "op",
      });
      expect(first.merkleRoot).toMatch(/^[0-9a-f]{64}$/);
      expect(await v.versions.nextVersion("dropout-slice")).toBe("1.1.0");
      const second = await v.build();
      expect(second.version).toBe("1.1.0");

      const shown = await v.versions.show(first.id);
      const paths = shown.files.map((f) => f.path);
      expect(paths).toEqual(expect.arrayContaining(["croissant.json", "lineage.json", "README.md"]));
      expect(paths.some((p) => p.startsWith("data/") && p.endsWith(".parquet"))).toBe(true);
      for (const f of shown.files) expect(f.sha256).toMatch(/^[0-9a-f]{64}$/);
      const lineage = JSON.parse(readFileSync(join(first.dir, "lineage.json"), "utf8"));
      expect(JSON.stringify(lineage)).toContain(first.merkleRoot);
      expect(shown.summary.consent.map((c) => c.provider)).toEqual(["univ", "mooc"]);
      expect(shown.events.map((e) => e.kind)).toEqual(["recorded"]);
      expect(shown.supersededBy).toBeNull();

      expect((await v.versions.list()).map((x) => x.id)).toEqual(
        expect.arrayContaining([first.id, second.id]),
      );
      expect(await v.versions.list({ agreement: v.w.agreementId })).toEqual([]);
      expect((await v.versions.list({ consumer: "lab", state: "current" })).length).toBe(2);
      await expect(v.versions.list({ state: "gone" as never })).rejects.toSatisfy(refused(400, /state is/));
      await expect(v.versions.show("urn:uuid:nope")).rejects.toSatisfy(refused(404, /no dataset version/));

      // A number already taken is refused with the next free one, a malformed one with the form.
      const recordAs = (version: string) =>
        v.versions.record(
          {
            dir: first.dir,
            files: [],
            root: first.merkleRoot,
            records: 1,
            learners: 1,
            sources: [],
            consent: [],
            labels: null,
            splits: {},
            members: [],
          },
          {
            agreementId: v.downloadable,
            name: "dropout-slice",
            version,
            builtAt: v.w.clock.now,
            builtBy: "op",
          },
        );
      await expect(recordAs("1.0.0")).rejects.toSatisfy(
        refused(409, /already recorded: the next free number is 1\.2\.0/),
      );
      await expect(recordAs("v2")).rejects.toSatisfy(refused(400, /MAJOR\.MINOR\.PATCH .*not 'v2'/));
      // Learners' pseudonyms appear in none of the registry's audit events.
      const audit = JSON.stringify(
        (await v.w.audit.list({ limit: 10_000 })).filter((e) => e.action.startsWith("pool.")),
      );
      expect(audit).toContain("pool.version.recorded");
      for (const learner of Object.values(v.L)) expect(audit).not.toContain(learner);
    });

    it("a download is decided and audited for the named consumer, refused for another and under a policy without distribute", async () => {
      const version = await v.build();
      const grant = await v.versions.download(version.id, { actor: "lab", consumer: "lab" });
      expect(grant.decision.decision).toBe("Permit");
      expect(grant.files.map((f) => f.path)).toContain("lineage.json");
      for (const f of grant.files) expect(existsSync(f.absolute)).toBe(true);
      const events = await v.w.audit.list({ limit: 10_000 });
      const decision = events.filter((e) => e.action === "contract.decision").at(-1)!;
      expect(decision.details).toMatchObject({
        step: "export-download",
        agreement: v.downloadable,
        decision: "Permit",
        action: "http://www.w3.org/ns/odrl/2/distribute",
      });
      expect(events.at(-1)).toMatchObject({ action: "pool.version.downloaded", subject: v.downloadable });
      expect((await v.versions.show(version.id)).events.map((e) => e.kind)).toEqual([
        "recorded",
        "downloaded",
      ]);
      // The file route's check: open under the grant, refused to another consumer.
      const file = await v.versions.file(version.id, "lineage.json", { consumer: "lab" });
      expect(file.sha256).toBe(grant.files.find((f) => f.path === "lineage.json")!.sha256);
      await expect(v.versions.file(version.id, "lineage.json", { consumer: "univ" })).rejects.toSatisfy(
        refused(404, /no dataset version/),
      );
      await expect(v.versions.file(version.id, "../secret", { consumer: "lab" })).rejects.toSatisfy(
        refused(400, /plain relative path/),
      );
      // A file changed on disk since recording is not served.
      writeFileSync(join(version.dir, "README.md"), "changed");
      await expect(v.versions.file(version.id, "README.md", { consumer: "lab" })).rejects.toSatisfy(
        refused(409, /not as recorded/),
      );
      // Past the download's window, the files need a new decision.
      later(v, 2 * 3_600_000);
      await expect(v.versions.file(version.id, "lineage.json", { consumer: "lab" })).rejects.toSatisfy(
        refused(403, /no permitted download/),
      );

      await expect(v.versions.download(version.id, { actor: "univ", consumer: "univ" })).rejects.toSatisfy(
        refused(403, /'univ' is not the consumer agreement .* names/),
      );
      expect((await v.w.audit.list({ limit: 10_000 })).at(-1)).toMatchObject({
        action: "pool.version.download-refused",
        actor: "univ",
      });

      // The world's own agreement permits derive only: the build passes, the download is denied.
      const derived = await v.build({ name: "derive-only", agreement: v.w.agreementId });
      await expect(v.versions.download(derived.id, { actor: "lab", consumer: "lab" })).rejects.toSatisfy(
        refused(403, /download of dataset version .* denied: \S/),
      );
      const last = (await v.w.audit.list({ limit: 10_000 }))
        .filter((e) => e.action === "contract.decision")
        .at(-1)!;
      expect(last.details).toMatchObject({
        step: "export-download",
        decision: expect.not.stringMatching(/^Permit$/),
      });
      expect((await v.versions.show(derived.id)).events.map((e) => e.kind)).toEqual(["recorded"]);
    });

    it("a withdrawal after the build supersedes the versions holding the learner, notifies, and the next build leaves them out", async () => {
      const both = await v.build({ name: "both" });
      const moocOnly = await v.build({ name: "mooc-only", providers: ["mooc"] });
      await v.versions.download(both.id, { actor: "lab", consumer: "lab" });
      later(v, DAY);
      await v.withdraw(v.L.drops);

      const swept = await v.versions.supersedeForWithdrawals(v.w.clock.now);
      expect(swept.superseded.map((s) => s.id)).toEqual([both.id]);
      expect(swept.superseded[0]).toMatchObject({ learners: 1 });
      expect(swept.notifications).toBe(1);
      expect((await v.versions.get(moocOnly.id))?.state).toBe("current");
      const superseded = await v.versions.show(both.id);
      expect(superseded).toMatchObject({
        state: "superseded",
        supersededReason: "1 learner of the version withdrew or expired after the build",
      });
      expect(superseded.events.map((e) => e.kind)).toEqual(["recorded", "downloaded", "superseded"]);
      // Idempotent: a second sweep changes nothing.
      expect((await v.versions.supersedeForWithdrawals(v.w.clock.now)).superseded).toEqual([]);

      const [note] = await v.notifications.list({ holder: "lab", state: "pending" });
      expect(note).toMatchObject({ version: both.id, event: "superseded", agreement: v.downloadable });
      expect(note!.body).toMatchObject({ type: "learnpool.dataset.superseded", learners: 1 });
      expect(JSON.stringify(note!.body)).not.toContain(v.L.drops);
      const withdrawals = await v.notifier.withdrawals({ agreement: v.downloadable });
      expect(note!.body.withdrawals).toEqual(withdrawals.map((x) => x.id));

      // Not downloadable any more, and the error says why; once rebuilt, it names the new version.
      await expect(v.versions.download(both.id, { actor: "lab", consumer: "lab" })).rejects.toSatisfy(
        refused(410, /superseded .*no newer version has been built yet/),
      );
      later(v, 1000);
      const rebuilt = await v.build({ name: "both" });
      expect(rebuilt.version).toBe("1.1.0");
      expect(rebuilt.learners).toBe(2);
      await expect(v.versions.download(both.id, { actor: "lab", consumer: "lab" })).rejects.toSatisfy(
        refused(410, new RegExp(`download ${rebuilt.id} \\(both 1\\.1\\.0\\) instead`)),
      );
      expect((await v.versions.show(both.id)).supersededBy).toEqual({ id: rebuilt.id, version: "1.1.0" });
      expect((await v.versions.supersedeForWithdrawals(v.w.clock.now)).superseded).toEqual([]);

      // The holder acknowledges; a stranger cannot.
      await expect(v.notifications.acknowledge(note!.id, "univ", { holder: "univ" })).rejects.toSatisfy(
        refused(404, /no dataset notification/),
      );
      expect((await v.notifications.acknowledge(note!.id, "lab", { holder: "lab" })).state).toBe(
        "acknowledged",
      );
    });

    it("the reason counts the learners who left, not their withdrawals, and names none of them", async () => {
      const version = await v.build();
      later(v, DAY);
      await v.withdraw(v.L.drops);
      await v.withdraw(v.L.shared);
      const swept = await v.versions.supersedeForWithdrawals(v.w.clock.now);
      expect(swept.superseded).toEqual([expect.objectContaining({ id: version.id, learners: 2 })]);
      const shown = await v.versions.show(version.id);
      expect(shown.supersededReason).toBe("2 learners of the version withdrew or expired after the build");
      expect(JSON.stringify(shown.events)).not.toMatch(new RegExp(`${v.L.drops}|${v.L.shared}`));
    });

    it("deletes the folders of versions whose agreement ended, with evidence that verifies", async () => {
      const version = await v.build();
      const files = (await v.versions.show(version.id)).files;
      expect((await v.versions.deleteExpired(v.w.clock.now)).deleted).toEqual([]);
      const ended = new Date("2030-01-02T00:00:00Z");
      const result = await v.versions.deleteExpired(ended, "cli:op");
      expect(result.deleted.map((d) => d.id)).toEqual([version.id]);
      expect(existsSync(version.dir)).toBe(false);

      const shown = await v.versions.show(version.id);
      expect(shown).toMatchObject({ state: "deleted", deletedAt: ended.toISOString() });
      const event = shown.events.at(-1)!;
      expect(event.kind).toBe("deleted");
      const { evidence, digest } = event.details as { evidence: DeletionEvidence; digest: string };
      expect(digest).toBe(shown.deletionDigest);
      expect(verifyDeletionEvidence(evidence, digest)).toBe(true);
      expect(verifyDeletionEvidence({ ...evidence, deletedBy: "someone" }, digest)).toBe(false);
      expect(evidence).toMatchObject({
        agreementState: "expired",
        merkleRoot: version.merkleRoot,
        folderFound: true,
        deletedBy: "cli:op",
      });
      expect(evidence.files).toEqual(files);
      const audited = (await v.w.audit.list({ limit: 10_000 })).find(
        (e) => e.action === "pool.version.deleted",
      );
      expect(audited?.details).toMatchObject({ version: version.id, digest, merkleRoot: version.merkleRoot });

      await expect(v.versions.download(version.id, { actor: "lab", consumer: "lab" })).rejects.toSatisfy(
        refused(410, /deleted .* cannot be downloaded/),
      );
      expect((await v.versions.deleteExpired(ended)).deleted).toEqual([]);
    });

    it("triggers refuse editing a version's history, members or what made it", async () => {
      const version = await v.build();
      const attempts = [
        ["UPDATE dataset_version_events SET actor = 'x'", []],
        ["DELETE FROM dataset_version_events", []],
        ["UPDATE dataset_version_members SET learner = 'x'", []],
        ["DELETE FROM dataset_version_members", []],
        ["DELETE FROM dataset_versions", []],
        ["UPDATE dataset_versions SET merkle_root = ? WHERE id = ?", ["0".repeat(64), version.id]],
        ["UPDATE dataset_versions SET state = 'deleted' WHERE id = ?", [version.id]],
      ] as const;
      for (const [sql, params] of attempts)
        await expect(v.db.run(sql, [...params]), sql).rejects.toThrow(/fixed|append-only|never/);
      await v.db.run(
        "UPDATE dataset_versions SET state = 'superseded', superseded_at = ?, superseded_reason = 'test' WHERE id = ?",
        [v.w.clock.now.toISOString(), version.id],
      );
      await expect(
        v.db.run("UPDATE dataset_versions SET state = 'current' WHERE id = ?", [version.id]),
      ).rejects.toThrow(/only moves forward/);
      await expect(
        v.db.run("UPDATE dataset_versions SET superseded_reason = 'other' WHERE id = ?", [version.id]),
      ).rejects.toThrow(/only moves forward/);
    });
  });

  describe(`dataset versions superseded inside the consent change (${backend.name})`, () => {
    it("the listener supersedes in the withdrawal's own transaction", async () => {
      const v = await versionsWorld(await backend.open(), { listener: true });
      try {
        const both = await v.build({ name: "both" });
        const moocOnly = await v.build({ name: "mooc-only", providers: ["mooc"] });
        later(v, DAY);
        await v.withdraw(v.L.drops);
        expect((await v.versions.get(both.id))?.state).toBe("superseded");
        expect((await v.versions.get(moocOnly.id))?.state).toBe("current");
        const [withdrawal] = await v.notifier.withdrawals({ agreement: v.downloadable });
        const event = (await v.versions.show(both.id)).events.at(-1)!;
        expect(event.details).toMatchObject({ withdrawals: [withdrawal!.id], learners: 1 });
        expect(await v.notifications.list({ version: both.id })).toHaveLength(1);
      } finally {
        await v.close();
      }
    });
  });
  describe(`dataset versions: the operator's deletion duty and holders' webhooks (${backend.name})`, () => {
    it("a deletion duty assigned to the operator is fulfilled with the signed deletion evidence", async () => {
      const policy = downloadablePolicy() as { permission: Record<string, unknown>[] };
      policy.permission[0]!.duty = [
        {
          uid: "urn:learnpool:test:duties/delete-versions",
          action: "delete",
          assignee: "urn:learnpool:participant:op",
          constraint: [{ leftOperand: "dateTime", operator: "lteq", rightOperand: "2030-03-01T00:00:00Z" }],
        },
      ];
      const db = await backend.open();
      const v = await versionsWorld(db, { agreement: { policy: policy as never } });
      try {
        const key = v.w.keys.op!;
        const signing = new DatasetVersions(db, v.w.audit, v.w.agreements, v.enforcement, v.notifier, {
          now: () => v.w.clock.now,
          signDeletion: async (participant, statement) =>
            participant === "op" ? signDeletion(statement, key.privateJwk, key.kid) : undefined,
        });
        const version = await v.build();
        const [duty] = await v.enforcement.duties({ agreements: [v.downloadable], state: "open" });
        expect(duty).toMatchObject({ kind: "deletion", assignee: "op" });
        const result = await signing.deleteExpired(new Date("2030-01-02T00:00:00Z"), "cli:op");
        expect(result.deleted.map((d) => d.id)).toEqual([version.id]);
        expect(result.dutiesFulfilled).toEqual([duty!.id]);
        const closed = await v.enforcement.duty(duty!.id);
        expect(closed?.state).toBe("fulfilled");
        const statement = (closed!.evidence as { statement: { deleted: string[] } }).statement;
        expect(statement.deleted).toEqual([expect.stringContaining(result.deleted[0]!.digest)]);
      } finally {
        await v.close();
      }
    });

    it("delivers a superseded version's notification to the holder's consent webhook, signed, then acknowledged", async () => {
      const v = await versionsWorld(await backend.open());
      try {
        const version = await v.build();
        later(v, DAY);
        await v.withdraw(v.L.stays);
        await v.versions.supersedeForWithdrawals(v.w.clock.now);
        const posts: { url: string; body: string; signature: string }[] = [];
        let answer = 503;
        const delivery = new DatasetNotifications(v.db, v.w.audit, v.notifier, {
          now: () => v.w.clock.now,
          fetch: (async (url: string, init: RequestInit) => {
            const headers = init.headers as Record<string, string>;
            posts.push({ url, body: String(init.body), signature: headers["learnpool-signature"]! });
            return new Response(null, { status: answer });
          }) as unknown as typeof fetch,
        });
        // No webhook yet: an attempt that fails, retried later.
        expect(await delivery.deliverDue()).toMatchObject({ attempted: 1, acknowledged: 0 });
        const [pending] = await delivery.list({ version: version.id });
        expect(pending).toMatchObject({ state: "pending", attempts: 1, lastError: "no webhook registered" });
        const { secret } = await v.notifier.registerWebhook("lab", { url: "http://lab.test/hooks" }, "lab");
        later(v, 60_000);
        expect(await delivery.deliverDue()).toMatchObject({ attempted: 1, acknowledged: 0 });
        answer = 204;
        later(v, 60_000);
        expect(await delivery.deliverDue()).toMatchObject({ attempted: 1, acknowledged: 1 });
        expect(posts).toHaveLength(2);
        const last = posts.at(-1)!;
        expect(last.url).toBe("http://lab.test/hooks");
        expect(verifyWebhookSignature(secret, last.body, last.signature, { now: v.w.clock.now })).toBe(true);
        expect(JSON.parse(last.body)).toMatchObject({
          type: "learnpool.dataset.superseded",
          version: version.id,
        });
        expect(last.body).not.toContain(v.L.stays);
        expect((await delivery.list({ version: version.id }))[0]).toMatchObject({
          state: "acknowledged",
          acknowledgedBy: "webhook",
        });
      } finally {
        await v.close();
      }
    });
  });
}
