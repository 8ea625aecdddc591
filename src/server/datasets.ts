/**
 * HTTP wiring of the pool's dataset versions, under `/datasets/`. Every route authenticates (HTTP Basic,
 * an LRS credential: its store is the participant). What is seen depends on who calls: the operator
 * sees every version, a consumer the versions built for it, a provider those of the agreements it is
 * party to; any other version is a 404 (its existence is not told).
 *
 * Downloads: `POST …/{id}/download` asks the decision point (`export-download`, one counted use, one
 * audited `contract.decision`) for the consumer the agreement names, and returns the file list; each
 * `GET …/{id}/files/{path}` (the path URL-encoded as one segment, `data%2Ftrain-….parquet`) serves one file while that permitted download's window is open (one
 * hour), the version still current and the agreement still valid, with its SHA-256 in `Repr-Digest`
 * and `X-Content-SHA256`. A decision per file would count a use per file: an ODRL `count` on
 * downloads would then be spent by one version's dozen files. Each file served is audited.
 * `POST /datasets/builds` (the operator) builds from a spec in the body, into the server's datasets
 * folder (never where the spec says), and records the version.
 * The rules are the registry's (`pool/versions`); this file translates HTTP to its calls. It imports
 * the versions part directly, not the pool's entry, so that the server does not load DuckDB.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { join, resolve } from "node:path";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { AuditLog } from "../audit/index.js";
import type { ConsentNotifier, ConsentRegistry } from "../consent/index.js";
import {
  AgreementError,
  type AgreementRegistry,
  type ContractEnvironment,
  type Participant,
  readSigningKeys,
  signDeletion,
} from "../contract/index.js";
import type { Lrs } from "../lrs/index.js";
import {
  DatasetNotifications,
  type DatasetVersion,
  DatasetVersions,
  type DatasetVersionsOptions,
  VERSION_STATES,
  VersionError,
  type VersionState,
} from "../pool/versions/index.js";
import { guarded, HttpError, participantOf, statusRefusal } from "./auth.js";

export const DATASETS_BASE = "/datasets";

/** The pool's version services, built once per process (`datasetServices`). */
export interface DatasetServices {
  versions: DatasetVersions;
  notifications: DatasetNotifications;
  agreements: AgreementRegistry;
  audit: AuditLog;
  /** What `POST /datasets/builds` needs; without it the route answers 501. */
  builds?: {
    consent: ConsentRegistry;
    enforcement: ContractEnvironment["enforcement"];
    /** Where versions are written: `<datasetsDir>/<name>/<version>` (the caller never chooses). */
    datasetsDir: string;
    /** The build's instant (consent and the agreement are judged at it). */
    now: () => Date;
  };
  /** Deliver holders' notifications (consent webhooks) while the server runs. */
  deliver?: boolean;
}

/**
 * The registry over the contract environment (agreements, enforcement) and consent's notifier (the
 * withdrawals it records, the webhooks it holds); with consent's registry, builds over HTTP too
 * (`datasetsDir`, default ./datasets, is where they are written). Register `versions.listener()` with the consent
 * registry after the notifier's listener to supersede versions in the withdrawal's own transaction.
 */
export function datasetServices(
  lrs: Lrs,
  contract: Pick<ContractEnvironment, "agreements" | "enforcement">,
  consent: { notifier: ConsentNotifier; registry?: ConsentRegistry },
  options: DatasetVersionsOptions & { datasetsDir?: string } = {},
): DatasetServices {
  const { datasetsDir, ...registryOptions } = options;
  const versions = new DatasetVersions(
    lrs.db,
    lrs.audit,
    contract.agreements,
    contract.enforcement,
    consent.notifier,
    registryOptions,
  );
  const notifications = new DatasetNotifications(lrs.db, lrs.audit, consent.notifier);
  return {
    versions,
    notifications,
    agreements: contract.agreements,
    audit: lrs.audit,
    ...(consent.registry && {
      builds: {
        consent: consent.registry,
        enforcement: contract.enforcement,
        datasetsDir: resolve(datasetsDir ?? "datasets"),
        now: registryOptions.now ?? (() => new Date()),
      },
    }),
  };
}

/** A dataset's name as a folder: letters, digits, `.`, `_`, `-`, not starting with a dot. */
const FOLDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * From the environment: LEARNPOOL_DATASETS_DIR (where `POST /datasets/builds` writes versions, default
 * ./datasets) and LEARNPOOL_SIGNING_KEYS (the operator's key, when hosted here, signs the evidence that
 * fulfils its deletion duties when versions are deleted). Notifications to holders are delivered while
 * the server runs.
 */
export function datasetServicesFromEnvironment(
  lrs: Lrs,
  contract: Pick<ContractEnvironment, "agreements" | "enforcement">,
  consent: { notifier: ConsentNotifier; registry?: ConsentRegistry },
  env: NodeJS.ProcessEnv = process.env,
): DatasetServices {
  const keys = env.LEARNPOOL_SIGNING_KEYS ? readSigningKeys(env.LEARNPOOL_SIGNING_KEYS) : undefined;
  return {
    ...datasetServices(lrs, contract, consent, {
      ...(env.LEARNPOOL_DATASETS_DIR && { datasetsDir: env.LEARNPOOL_DATASETS_DIR }),
      ...(keys && {
        signDeletion: async (participant, statement) => {
          const key = keys.get(participant);
          return key ? signDeletion(statement, key) : undefined;
        },
      }),
    }),
    deliver: true,
  };
}

export function registerDatasetRoutes(app: FastifyInstance, lrs: Lrs, services: DatasetServices): void {
  const { versions, notifications, agreements, audit } = services;

  if (services.deliver) {
    app.addHook("onReady", async () => notifications.start());
    app.addHook("onClose", async () => notifications.stop());
  }

  /** Who calls: a credential whose store is a registered participant; `change` needs scope `all`. */
  function caller(request: FastifyRequest, change = false): Promise<Participant> {
    return participantOf(
      lrs,
      agreements.participants,
      request,
      change ? "this changes state (a decision counts a use, a sweep supersedes or deletes)" : undefined,
    );
  }

  /** The agreements whose versions `who` sees; undefined for the operator (all of them). */
  async function visibleAgreements(who: Participant): Promise<string[] | undefined> {
    if (who.role === "operator") return undefined;
    return (await agreements.list({ participant: who.id })).map((a) => a.id);
  }

  async function visible(id: string, who: Participant): Promise<DatasetVersion> {
    const v = await versions.get(id);
    const seen = await visibleAgreements(who);
    if (!v || (seen && !seen.includes(v.agreement)) || (who.role === "consumer" && v.consumer !== who.id))
      throw new HttpError(404, `no dataset version ${id}`);
    return v;
  }

  const handle = guarded((err) => statusRefusal(err, HttpError, VersionError, AgreementError));
  const route = { schema: { hide: true } };

  app.get(
    `${DATASETS_BASE}/versions`,
    route,
    handle(async (request) => {
      const who = await caller(request);
      const { agreement, state } = request.query as { agreement?: string; state?: string };
      if (state !== undefined && !VERSION_STATES.includes(state as VersionState))
        throw new HttpError(400, `state is ${VERSION_STATES.join(", ")}`);
      const seen = await visibleAgreements(who);
      const list = await versions.list({
        ...(agreement !== undefined ? { agreement } : {}),
        ...(state !== undefined ? { state: state as VersionState } : {}),
        ...(seen ? { agreements: seen } : {}),
        ...(who.role === "consumer" ? { consumer: who.id } : {}),
      });
      return { versions: list.map(({ dir: _dir, ...v }) => v) };
    }),
  );

  app.get(
    `${DATASETS_BASE}/versions/:id`,
    route,
    handle(async (request) => {
      const who = await caller(request);
      const { id } = request.params as { id: string };
      await visible(id, who);
      // Where the folder is on the server's disk is the operator's to know.
      const { dir, ...shown } = await versions.show(id);
      return who.role === "operator" ? { ...shown, dir } : shown;
    }),
  );

  app.post(
    `${DATASETS_BASE}/versions/:id/download`,
    route,
    handle(async (request) => {
      const who = await caller(request, true);
      const { id } = request.params as { id: string };
      const v = await visible(id, who);
      const grant = await versions.download(v.id, { actor: who.id, consumer: who.id });
      const base = `${DATASETS_BASE}/versions/${encodeURIComponent(v.id)}/files/`;
      return {
        version: grant.version.id,
        decision: grant.decision,
        until: grant.until,
        files: grant.files.map((f) => ({
          path: f.path,
          sha256: f.sha256,
          bytes: f.bytes,
          url: `${base}${encodeURIComponent(f.path)}`,
        })),
      };
    }),
  );

  app.get(
    `${DATASETS_BASE}/versions/:id/files/:path`,
    route,
    handle(async (request, reply) => {
      const who = await caller(request);
      const { id, path } = request.params as { id: string; path: string };
      const v = await visible(id, who);
      const file = await versions.file(v.id, path, { consumer: who.id });
      await audit.append({
        actor: who.id,
        action: "pool.version.file-served",
        subject: v.agreement,
        details: { version: v.id, path: file.path, sha256: file.sha256 },
      });
      return reply
        .header("content-type", "application/octet-stream")
        .header("content-length", String(file.bytes))
        .header("x-content-sha256", file.sha256)
        .header("repr-digest", `sha-256=:${Buffer.from(file.sha256, "hex").toString("base64")}:`)
        .send(createReadStream(file.absolute));
    }),
  );

  app.post(
    `${DATASETS_BASE}/builds`,
    route,
    handle(async (request) => {
      const who = await caller(request, true);
      if (who.role !== "operator") throw new HttpError(403, "dataset builds are run by the operator");
      if (!services.builds) throw new HttpError(501, "this server builds no datasets");
      const { consent, enforcement, datasetsDir, now } = services.builds;
      const text = Buffer.isBuffer(request.body) ? request.body.toString("utf8") : "";
      if (text.trim() === "") throw new HttpError(400, "the body is the build spec (YAML or JSON)");
      // The pool, and DuckDB with it, loads at the first build, not when the server starts.
      const { buildAndRecord, buildRefusal, buildServicesFromDatabase, parseBuildSpec, SpecError } =
        await import("../pool/index.js");
      let spec: ReturnType<typeof parseBuildSpec>;
      try {
        spec = parseBuildSpec(text, { source: "body", baseDir: datasetsDir });
      } catch (err) {
        if (err instanceof SpecError) throw new HttpError(400, err.message);
        throw err;
      }
      if (!FOLDER_NAME.test(spec.name))
        throw new HttpError(400, "name: letters, digits, '.', '_' or '-' (it names the version's folder)");
      try {
        // Keyed pseudonyms open the linkage domain's key under the server's master key
        // (LEARNPOOL_MASTER_KEY(_FILE)); DP noise comes from the CSPRNG.
        const built = await buildServicesFromDatabase(lrs.db, spec, { now });
        const { result, recorded } = await buildAndRecord(
          { ...built, consent, enforcement },
          versions,
          spec,
          {
            actor: who.id,
            at: now(),
            specDigest: createHash("sha256").update(text, "utf8").digest("hex"),
            // The server chooses where a version is written: the spec's output is not the caller's to set.
            output: (number) => join(datasetsDir, spec.name, number),
          },
        );
        const { dir: _dir, ...shown } = recorded;
        return { version: shown, records: result.records, learners: result.learners, splits: result.splits };
      } catch (err) {
        const refusal = buildRefusal(err);
        if (refusal) throw new HttpError(refusal.status, refusal.message);
        throw err;
      }
    }),
  );

  app.post(
    `${DATASETS_BASE}/sweep`,
    route,
    handle(async (request) => {
      const who = await caller(request, true);
      if (who.role !== "operator") throw new HttpError(403, "the sweep is the operator's");
      return versions.sweep(new Date(), who.id);
    }),
  );

  app.get(
    `${DATASETS_BASE}/notifications`,
    route,
    handle(async (request) => {
      const who = await caller(request);
      const { state } = request.query as { state?: string };
      if (state !== undefined && state !== "pending" && state !== "acknowledged")
        throw new HttpError(400, "state is pending or acknowledged");
      return {
        notifications: await notifications.list({
          ...(who.role === "operator" ? {} : { holder: who.id }),
          ...(state ? { state } : {}),
        }),
      };
    }),
  );

  app.post(
    `${DATASETS_BASE}/notifications/:id/ack`,
    route,
    handle(async (request) => {
      const who = await caller(request, true);
      const { id } = request.params as { id: string };
      return { notification: await notifications.acknowledge(id, who.id, { holder: who.id }) };
    }),
  );
}
