/**
 * Linkage across providers without a shared secret: an oblivious PRF (RFC 9497, verifiable mode,
 * suite ristretto255-SHA512, through @cloudflare/voprf-ts with the libsodium group of
 * `oprf-sodium.ts`: ten times the scalar multiplications of the library's own pure-JS providers). The service holds the OPRF key of each linkage domain (derived from the
 * domain's sealed key) and evaluates blinded elements; a provider blinds `purpose ‖ 0x00 ‖
 * identifierText`, unblinds, and checks the service's proof against the domain's published public key.
 * The service never sees an identifier, no provider holds the key, the same learner gets the same
 * secret at every provider of the domain, and two domains give unrelated secrets.
 *
 * - `OprfService`: the service side (membership, rate limit, audit, evaluation), no HTTP.
 * - `OprfPseudonymizer`: the provider side, a `Pseudonymizer` over any `OprfTransport` (HTTP below).
 */
import { createHash, hkdfSync } from "node:crypto";
import {
  DLEQProof,
  deriveKeyPair,
  Evaluation,
  EvaluationRequest,
  type Group,
  Oprf,
  VOPRFClient,
  VOPRFServer,
} from "@cloudflare/voprf-ts";
import type { AuditLog } from "../audit/index.js";
import { DomainError, type DomainKeys } from "./domains.js";
import { type Identifier, identifierText } from "./identifiers.js";
import { MasterKeyError } from "./keys.js";
import { CryptoSodium, invertAll } from "./oprf-sodium.js";
import type { Pseudonymizer } from "./pseudonymizer.js";

export const OPRF_SUITE = Oprf.Suite.RISTRETTO255_SHA512;
/** The most blinded elements one evaluation takes. */
export const MAX_OPRF_BATCH = 1000;

const group: Group = Oprf.getGroup(OPRF_SUITE, CryptoSodium);

/** The domain's OPRF key pair, derived (RFC 9497 DeriveKeyPair) from its domain key: rotation rotates both. */
export async function oprfKeyPair(
  domainKey: Buffer,
): Promise<{ privateKey: Uint8Array; publicKey: Uint8Array }> {
  const seed = new Uint8Array(hkdfSync("sha256", domainKey, Buffer.alloc(0), "learnpool oprf seed v1", 32));
  return deriveKeyPair(
    Oprf.Mode.VOPRF,
    OPRF_SUITE,
    seed,
    new TextEncoder().encode("learnpool"),
    CryptoSodium,
  );
}

/** Evaluates blinded elements under one private key, with one batched DLEQ proof. */
export async function oprfEvaluate(
  server: VOPRFServer,
  blinded: readonly Uint8Array[],
): Promise<{ evaluated: Uint8Array[]; proof: Uint8Array }> {
  const elements = blinded.map((bytes, i) => {
    try {
      return group.desElt(bytes);
    } catch {
      throw new OprfError(400, `blinded[${i}] is not a ${OPRF_SUITE} group element`);
    }
  });
  const evaluation = await server.blindEvaluate(new EvaluationRequest(elements));
  return {
    evaluated: evaluation.evaluated.map((e) => e.serialize()),
    proof: (evaluation.proof as DLEQProof).serialize(),
  };
}

export function oprfServer(privateKey: Uint8Array): VOPRFServer {
  return new VOPRFServer(OPRF_SUITE, privateKey, CryptoSodium);
}

/** A refusal of the service, with its HTTP status; `retryAfter` (seconds) for 429. */
export class OprfError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = "OprfError";
  }
}

/**
 * Token buckets per store: `capacity` identifiers, refilled at `capacity / periodSeconds` per second.
 * A dictionary run through the service is slowed to the rate and shows in the audit trail.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    readonly capacity: number,
    readonly periodSeconds = 3600,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes `count` tokens; when there are not enough, takes none and returns the seconds to wait. */
  take(who: string, count: number): { ok: true } | { ok: false; retryAfter: number } {
    const now = this.now();
    const rate = this.capacity / this.periodSeconds / 1000;
    const bucket = this.buckets.get(who) ?? { tokens: this.capacity, at: now };
    bucket.tokens = Math.min(this.capacity, bucket.tokens + (now - bucket.at) * rate);
    bucket.at = now;
    this.buckets.set(who, bucket);
    if (count <= bucket.tokens) {
      bucket.tokens -= count;
      return { ok: true };
    }
    const missing = count - bucket.tokens;
    return {
      ok: false,
      retryAfter: count > this.capacity ? this.periodSeconds : Math.ceil(missing / rate / 1000),
    };
  }
}

export interface OprfPublicKey {
  domain: string;
  /** The domain's IRI: the homePage of the pseudonymous accounts. */
  iri: string;
  suite: string;
  keyId: string;
  /** The serialized public key, base64. */
  publicKey: string;
}

export interface OprfEvaluation {
  keyId: string;
  /** Evaluated elements, base64, in the order of the blinded ones. */
  evaluated: string[];
  /** The batched DLEQ proof, base64. */
  proof: string;
}

export interface OprfServiceOptions {
  /** Identifiers a store may have evaluated per period (default 100,000). */
  identifiersPerPeriod?: number;
  /** The period of the rate limit in seconds (default 3,600). */
  periodSeconds?: number;
}

/** The service side: who may ask, how much, what is recorded, and the evaluation itself. */
export class OprfService {
  readonly limiter: RateLimiter;
  private readonly servers = new Map<string, Promise<{ server: VOPRFServer; publicKey: Uint8Array }>>();

  constructor(
    private readonly domains: DomainKeys,
    private readonly audit: AuditLog,
    options: OprfServiceOptions = {},
  ) {
    this.limiter = new RateLimiter(options.identifiersPerPeriod ?? 100_000, options.periodSeconds ?? 3600);
  }

  async publicKey(domainId: string, keyId?: string): Promise<OprfPublicKey> {
    const info = await this.domainOrFail(domainId);
    const { publicKey, keyId: used } = await this.serverFor(domainId, keyId ?? info.currentKeyId);
    return {
      domain: domainId,
      iri: info.iri,
      suite: OPRF_SUITE,
      keyId: used,
      publicKey: Buffer.from(publicKey).toString("base64"),
    };
  }

  /**
   * Evaluates a batch for a member store: 404 unknown domain, 403 not a member, 400 bad batch,
   * 429 over the rate. The audit trail records the store, the domain and the count, never elements.
   */
  async evaluate(request: {
    storeId: string;
    actor: string;
    domainId: string;
    blinded: readonly string[];
    keyId?: string;
  }): Promise<OprfEvaluation> {
    const info = await this.domainOrFail(request.domainId);
    if (!(await this.domains.isMember(request.domainId, request.storeId))) {
      throw new OprfError(403, `store '${request.storeId}' is not a member of domain '${request.domainId}'`);
    }
    const count = request.blinded.length;
    if (count === 0 || count > MAX_OPRF_BATCH) {
      throw new OprfError(400, `blinded must hold 1 to ${MAX_OPRF_BATCH} elements (got ${count})`);
    }
    const bytes = request.blinded.map((text, i) => {
      if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
        throw new OprfError(400, `blinded[${i}] is not base64 text`);
      }
      return new Uint8Array(Buffer.from(text, "base64"));
    });
    const taken = this.limiter.take(request.storeId, count);
    if (!taken.ok) {
      throw new OprfError(
        429,
        `store '${request.storeId}' is over its rate of ${this.limiter.capacity} identifiers per ${this.limiter.periodSeconds} s`,
        taken.retryAfter,
      );
    }
    const { server, keyId } = await this.serverFor(request.domainId, request.keyId ?? info.currentKeyId);
    const result = await oprfEvaluate(server, bytes);
    await this.audit.append({
      actor: request.actor,
      action: "privacy.oprf.evaluate",
      subject: request.domainId,
      details: { store: request.storeId, keyId, count },
    });
    return {
      keyId,
      evaluated: result.evaluated.map((e) => Buffer.from(e).toString("base64")),
      proof: Buffer.from(result.proof).toString("base64"),
    };
  }

  private async domainOrFail(domainId: string) {
    const info = await this.domains.get(domainId);
    if (!info) throw new OprfError(404, `no pseudonymization domain '${domainId}'`);
    return info;
  }

  private async serverFor(domainId: string, keyId: string) {
    const cacheKey = `${domainId}\u0000${keyId}`;
    let entry = this.servers.get(cacheKey);
    if (!entry) {
      entry = (async () => {
        try {
          const key = await this.domains.key(domainId, keyId);
          const pair = await oprfKeyPair(key.key);
          key.key.fill(0);
          return { server: oprfServer(pair.privateKey), publicKey: pair.publicKey };
        } catch (err) {
          this.servers.delete(cacheKey);
          if (err instanceof DomainError) throw new OprfError(err.status, err.message);
          // The detail (no master key, wrong master key) is the operator's, in the server log.
          if (err instanceof MasterKeyError)
            throw new OprfError(503, `the pseudonymization service cannot use its keys: ${err.message}`);
          throw err;
        }
      })();
      this.servers.set(cacheKey, entry);
    }
    return { ...(await entry), keyId };
  }
}

/** How a provider reaches the service: HTTP in production, direct calls in tests. */
export interface OprfTransport {
  publicKey(domainId: string): Promise<OprfPublicKey>;
  evaluate(domainId: string, blinded: string[], keyId: string): Promise<OprfEvaluation>;
}

/** The HTTP transport: `GET/POST {endpoint}/privacy/domains/{id}/oprf[-key]` with an LRS credential. */
export class HttpOprfTransport implements OprfTransport {
  private readonly authorization: string;

  constructor(
    private readonly endpoint: string,
    credential: { key: string; secret: string },
  ) {
    this.authorization = `Basic ${Buffer.from(`${credential.key}:${credential.secret}`).toString("base64")}`;
  }

  private url(domainId: string, tail: string): string {
    return `${this.endpoint.replace(/\/+$/, "")}/privacy/domains/${encodeURIComponent(domainId)}/${tail}`;
  }

  async publicKey(domainId: string): Promise<OprfPublicKey> {
    return this.call<OprfPublicKey>(this.url(domainId, "oprf-key"), { method: "GET" });
  }

  async evaluate(domainId: string, blinded: string[], keyId: string): Promise<OprfEvaluation> {
    return this.call<OprfEvaluation>(this.url(domainId, "oprf"), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ blinded, keyId }),
    });
  }

  private async call<T>(url: string, init: RequestInit): Promise<T> {
    const response = await fetch(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: this.authorization },
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text;
      try {
        message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
      } catch {}
      const retry = response.headers.get("retry-after");
      throw new OprfError(
        response.status,
        `the pseudonymization service answered ${response.status}: ${message}`,
        retry ? Number(retry) : undefined,
      );
    }
    return JSON.parse(text) as T;
  }
}

export interface OprfPseudonymizerOptions {
  /** Identifiers per request (at most 1,000). */
  batchSize?: number;
  /**
   * The domain's public key as published out of band (in the agreement), base64: when given, the key
   * the service announces must be this one. Without it the announced key is trusted on first use.
   */
  pinnedPublicKey?: string;
  /** Requests in flight at once: the next batch is blinded while the service evaluates one. */
  concurrency?: number;
}

/** The provider side: blind, ask, verify the proof, unblind, hash the output to 32 bytes. */
export class OprfPseudonymizer implements Pseudonymizer {
  readonly domain: string;
  readonly keyId: string;
  private readonly client: VOPRFClient;
  private readonly batchSize: number;
  private readonly concurrency: number;

  constructor(
    private readonly transport: OprfTransport,
    readonly domainId: string,
    key: OprfPublicKey,
    options: OprfPseudonymizerOptions = {},
  ) {
    if (key.suite !== OPRF_SUITE)
      throw new OprfError(502, `the service's suite ${key.suite} is not ${OPRF_SUITE}`);
    if (options.pinnedPublicKey !== undefined && options.pinnedPublicKey !== key.publicKey) {
      throw new OprfError(
        502,
        `the service announced a public key for '${domainId}' other than the pinned one`,
      );
    }
    this.domain = key.iri;
    this.keyId = key.keyId;
    this.client = new VOPRFClient(
      OPRF_SUITE,
      new Uint8Array(Buffer.from(key.publicKey, "base64")),
      CryptoSodium,
    );
    this.batchSize = Math.min(MAX_OPRF_BATCH, Math.max(1, options.batchSize ?? MAX_OPRF_BATCH));
    this.concurrency = Math.max(1, options.concurrency ?? 2);
  }

  /** Fetches the domain's public key from the service, then pseudonymizes through it. */
  static async connect(
    transport: OprfTransport,
    domainId: string,
    options: OprfPseudonymizerOptions = {},
  ): Promise<OprfPseudonymizer> {
    return new OprfPseudonymizer(transport, domainId, await transport.publicKey(domainId), options);
  }

  async derive(ids: readonly Identifier[], purpose: string): Promise<Map<string, Buffer>> {
    const texts = [...new Set(ids.map(identifierText))];
    const out = new Map<string, Buffer>();
    const batches: string[][] = [];
    for (let i = 0; i < texts.length; i += this.batchSize) batches.push(texts.slice(i, i + this.batchSize));
    let next = 0;
    const worker = async () => {
      while (next < batches.length) {
        const batch = batches[next++] as string[];
        const secrets = await this.deriveBatch(batch, purpose);
        for (const [i, text] of batch.entries()) out.set(text, secrets[i] as Buffer);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, batches.length) }, worker));
    return out;
  }

  private async deriveBatch(texts: readonly string[], purpose: string): Promise<Buffer[]> {
    const inputs = texts.map((text) => new Uint8Array(Buffer.from(`${purpose}\u0000${text}`, "utf8")));
    const [finalize, request] = await this.client.blind(inputs);
    // One scalar inversion for the batch's unblinding instead of one per identifier.
    invertAll(finalize.blinds);
    const answer = await this.transport.evaluate(
      this.domainId,
      request.blinded.map((e) => Buffer.from(e.serialize()).toString("base64")),
      this.keyId,
    );
    if (answer.keyId !== this.keyId || answer.evaluated.length !== texts.length) {
      throw new OprfError(502, "the pseudonymization service answered for another key or another batch");
    }
    let evaluation: Evaluation;
    try {
      evaluation = new Evaluation(
        Oprf.Mode.VOPRF,
        answer.evaluated.map((e) => group.desElt(new Uint8Array(Buffer.from(e, "base64")))),
        DLEQProof.deserialize(group.id, new Uint8Array(Buffer.from(answer.proof, "base64")), CryptoSodium),
      );
    } catch {
      throw new OprfError(502, "the pseudonymization service answered elements that do not decode");
    }
    let outputs: Uint8Array[];
    try {
      outputs = await this.client.finalize(finalize, evaluation);
    } catch {
      throw new OprfError(
        502,
        `the pseudonymization service's proof does not verify against domain '${this.domainId}' key ${this.keyId}`,
      );
    }
    return outputs.map((o) => createHash("sha256").update(o).digest());
  }
}
