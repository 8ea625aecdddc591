/**
 * The composition root of module `contract`: one participants registry, one agreement registry, one
 * catalog, one policy enforcement and one Dataspace Protocol service, built once per process, and the
 * adapters that make them one contract path:
 * - DSP offers come from the catalog (an offer id names a dataset's current offer; a withdrawn or
 *   replaced offer can no longer be negotiated);
 * - the policy engine decides a consumer's request for an offer (step `negotiation`, before the
 *   provider agrees), a transfer request (step `transfer`) and every data page (`beforeTransferPage`);
 * - DSP signs agreements with the private keys this environment holds for the participants it hosts;
 * - an agreement terminated or revoked stops the transfers running under it at once.
 *
 * It takes the LRS (whose database and audit trail it shares) because the data plane reads
 * statements through it. `contractSettingsFromEnvironment` reads the process's configuration:
 * - LEARNPOOL_DSP_BASE_URL: this side's DSP address as counterparties reach it (default
 *   LEARNPOOL_PUBLIC_URL + /dsp, else http://localhost:8080/dsp);
 * - LEARNPOOL_DSP_PEERS: a JSON file `[{endpoint, key, secret, store?}]`: the credential to present at
 *   each counterparty's DSP address, and the store that counterparty calls us with (`store`);
 * - LEARNPOOL_SIGNING_KEYS: a directory of private Ed25519 JWK files `<participant>.jwk` (as
 *   `learnpool participant keygen` writes them, mode 0600): the keys this side signs agreements with,
 *   the operator's at least where the operator runs. Keys are never logged nor stored in the database;
 * - LEARNPOOL_DSP_PAGE_SIZE: statements per data page (default 500).
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import type { JWK } from "jose";
import type { Lrs } from "../lrs/index.js";
import { AgreementRegistry, type ParticipantRegistry, signAgreement } from "./agreements/index.js";
import { Catalog, type ParticipantDirectory } from "./catalog/index.js";
import { type AgreementSigner, type Authorize, DspService, type OfferLookup } from "./dsp/index.js";
import { PolicyEnforcement } from "./enforcement/index.js";

/** A counterparty's DSP address, the credential we present there, and the store it calls us with. */
export interface DspPeer {
  endpoint: string;
  key: string;
  secret: string;
  store?: string;
}

export interface ContractSettings {
  /** Our DSP base URL as counterparties reach it, e.g. https://pool.example/dsp. */
  dspBaseUrl: string;
  peers?: readonly DspPeer[];
  /** Private signing keys of the participants hosted here: participant (store id) → private JWK with kid. */
  signingKeys?: ReadonlyMap<string, JWK>;
  /** Statements per data page. */
  pageSize?: number;
  /** How long an agreement made by negotiation is valid, in days. */
  agreementDays?: number;
  /** What the catalog knows of participants (default: their registered IRIs). */
  directory?: ParticipantDirectory;
  fetch?: typeof fetch;
  /**
   * The one clock of registry, catalog, enforcement and DSP (default: the system's). Injected by tests
   * and simulations to let time pass (an agreement's expiry) without waiting.
   */
  clock?: () => Date;
}

export interface ContractEnvironment {
  participants: ParticipantRegistry;
  agreements: AgreementRegistry;
  catalog: Catalog;
  enforcement: PolicyEnforcement;
  dsp: DspService;
  /** The store the counterparty at a DSP address calls us with, when the peers say so. */
  peerStore(address: string): string | undefined;
}

/** The DSP offers of the catalog: an offer id → its dataset's current offer. */
export function catalogOffers(catalog: Catalog): OfferLookup {
  return {
    offer: async (offerId) => {
      const found = await catalog.offer(offerId);
      return found && { providerId: found.provider, datasetId: found.dataset, policy: found.policy };
    },
  };
}

/** Signs as the participants whose private keys are held here; undefined for any other. */
export function keySigner(keys: ReadonlyMap<string, JWK>): AgreementSigner {
  return async (participant, canonical) => {
    const jwk = keys.get(participant);
    return jwk?.kid ? signAgreement(canonical, jwk, jwk.kid) : undefined;
  };
}

/** The peer whose endpoint is the longest prefix of `url`. */
function peerOf(peers: readonly DspPeer[], url: string): DspPeer | undefined {
  return peers
    .filter((p) => url.startsWith(p.endpoint))
    .sort((a, b) => b.endpoint.length - a.endpoint.length)[0];
}

export function peerAuthorization(peers: readonly DspPeer[]): Authorize {
  return (url) => {
    const peer = peerOf(peers, url);
    return peer ? `Basic ${Buffer.from(`${peer.key}:${peer.secret}`).toString("base64")}` : undefined;
  };
}

export function contractEnvironment(lrs: Lrs, settings: ContractSettings): ContractEnvironment {
  const clock = settings.clock;
  const agreements = new AgreementRegistry(lrs.db, lrs.audit, clock ? { now: clock } : {});
  const participants = agreements.participants;
  const catalog = new Catalog(lrs.db, lrs.audit, {
    ...(settings.directory ? { directory: settings.directory } : {}),
    ...(clock ? { now: clock } : {}),
  });
  const enforcement = new PolicyEnforcement(
    lrs.db,
    lrs.audit,
    agreements,
    participants,
    clock ? { clock } : {},
  );
  const peers = settings.peers ?? [];
  const dsp = new DspService(lrs, {
    baseUrl: settings.dspBaseUrl,
    offers: catalogOffers(catalog),
    agreements,
    signer: keySigner(settings.signingKeys ?? new Map()),
    authorize: peerAuthorization(peers),
    beforeAgreeing: async ({ offerId, consumer }) => {
      const offer = await catalog.offer(offerId);
      if (!offer) return { permit: false, reason: `offer ${offerId} is no longer offered` };
      const decided = await enforcement.decideOffer({
        step: "negotiation",
        offerId,
        dataset: offer.dataset,
        offer: offer.compiled,
        party: await catalog.party(consumer),
        actor: consumer,
      });
      return { permit: decided.decision === "Permit", reason: decided.reason };
    },
    beforeTransfer: async ({ agreementId, consumer }) => {
      const decided = await enforcement.decideTransfer({ agreementId, consumer, actor: consumer });
      return { permit: decided.decision === "Permit", reason: decided.reason };
    },
    beforeTransferPage: async (agreementId) => {
      const decided = await enforcement.beforeTransferPage(agreementId);
      if (decided.permit) return decided;
      // Who refused: the agreement (expired, terminated, revoked meanwhile) or the policy (a count…).
      const status = await agreements.status(agreementId).catch(() => ({ valid: false }));
      return { ...decided, code: status.valid ? "PolicyDenied" : "AgreementNotValid" };
    },
    ...(settings.pageSize !== undefined ? { pageSize: settings.pageSize } : {}),
    ...(settings.agreementDays !== undefined ? { agreementDays: settings.agreementDays } : {}),
    ...(settings.fetch ? { fetch: settings.fetch } : {}),
    ...(clock ? { clock } : {}),
  });
  // Not only at the next page: a transfer under an ended agreement stops when the agreement ends.
  agreements.whenEnded(async (agreementId) => {
    await dsp.stopTransfersOf(agreementId);
  });
  return {
    participants,
    agreements,
    catalog,
    enforcement,
    dsp,
    peerStore: (address) => peerOf(peers, address)?.store,
  };
}

/**
 * The private keys of a directory of `<participant>.jwk` files. A file that is not a private Ed25519
 * JWK with a kid is refused by name (its content is never repeated); so is, before it is read, a file
 * that the group or others may read or write (mode & 0o077, as ssh refuses an unprotected private key):
 * `chmod 600` it (`learnpool participant keygen` writes 0600).
 */
export function readSigningKeys(directory: string): Map<string, JWK> {
  const keys = new Map<string, JWK>();
  for (const file of readdirSync(directory)
    .filter((f) => f.endsWith(".jwk"))
    .sort()) {
    const path = join(directory, file);
    // POSIX permissions only: Windows reports no group/other bits worth reading.
    if (process.platform !== "win32") {
      const mode = statSync(path).mode & 0o777;
      if (mode & 0o077)
        throw new Error(
          `signing key ${file} is accessible by group or others (mode ${mode.toString(8).padStart(4, "0")}): a private key must be readable by its owner only (chmod 600 ${file})`,
        );
    }
    let jwk: JWK;
    try {
      jwk = JSON.parse(readFileSync(path, "utf8")) as JWK;
    } catch {
      throw new Error(`signing key ${file} is not JSON`);
    }
    if (
      jwk.kty !== "OKP" ||
      jwk.crv !== "Ed25519" ||
      typeof jwk.d !== "string" ||
      typeof jwk.kid !== "string"
    )
      throw new Error(
        `signing key ${file} is not a private Ed25519 JWK with a kid (made by 'learnpool participant keygen')`,
      );
    keys.set(basename(file, ".jwk"), jwk);
  }
  return keys;
}

/** The settings of this process (see the file's comment for the variables). */
export function contractSettingsFromEnvironment(env: NodeJS.ProcessEnv = process.env): ContractSettings {
  const dspBaseUrl =
    env.LEARNPOOL_DSP_BASE_URL ??
    `${(env.LEARNPOOL_PUBLIC_URL ?? "http://localhost:8080").replace(/\/+$/, "")}/dsp`;
  const peers = env.LEARNPOOL_DSP_PEERS
    ? (JSON.parse(readFileSync(env.LEARNPOOL_DSP_PEERS, "utf8")) as DspPeer[])
    : [];
  if (!Array.isArray(peers) || peers.some((p) => typeof p?.endpoint !== "string"))
    throw new Error("LEARNPOOL_DSP_PEERS must name a JSON file of [{endpoint, key, secret, store?}]");
  const pageSize = env.LEARNPOOL_DSP_PAGE_SIZE ? Number(env.LEARNPOOL_DSP_PAGE_SIZE) : undefined;
  if (pageSize !== undefined && (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > 10_000))
    throw new Error("LEARNPOOL_DSP_PAGE_SIZE must be an integer from 1 to 10000");
  return {
    dspBaseUrl,
    peers,
    ...(env.LEARNPOOL_SIGNING_KEYS ? { signingKeys: readSigningKeys(env.LEARNPOOL_SIGNING_KEYS) } : {}),
    ...(pageSize !== undefined ? { pageSize } : {}),
  };
}
