/**
 * The master key and the envelope that keeps pseudonymization keys encrypted at rest: AES-256-GCM with
 * a random 96-bit nonce, the domain and key id bound as associated data (a sealed key copied onto
 * another domain or key id does not open). The master key comes from a file or the environment, never
 * from the database it protects. Pure functions apart from reading the master key's file.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";

export const MASTER_KEY_BYTES = 32;
/** The length of a domain key (HMAC-SHA256 key, and the OPRF key's seed). */
export const DOMAIN_KEY_BYTES = 32;

/** The envelope's format byte, so that a later format can be told apart. */
const ENVELOPE_V1 = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class MasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "MasterKeyError";
  }
}

const HOW_TO_MAKE_ONE =
  "make one with `learnpool keys master-key > master.key` (keep it apart from the database) and pass it with --master-key-file or LEARNPOOL_MASTER_KEY_FILE, or put its base64 text in LEARNPOOL_MASTER_KEY";

export interface MasterKeySource {
  /** A file holding the key's base64 text (what `learnpool keys master-key` prints). */
  file?: string;
  /** The environment to read LEARNPOOL_MASTER_KEY_FILE and LEARNPOOL_MASTER_KEY from. */
  env?: NodeJS.ProcessEnv;
}

/** A fresh master key as base64 text. */
export function newMasterKeyText(): string {
  return randomBytes(MASTER_KEY_BYTES).toString("base64");
}

/** Reads base64 text of 32 bytes; `where` names the source in the error, never the text. */
export function parseMasterKey(text: string, where: string): Buffer {
  const trimmed = text.trim();
  const key = Buffer.from(trimmed, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed) || key.length !== MASTER_KEY_BYTES) {
    throw new MasterKeyError(`${where} is not a master key (base64 text of ${MASTER_KEY_BYTES} bytes)`);
  }
  return key;
}

/** The configured master key, or undefined when none is: file option, then LEARNPOOL_MASTER_KEY_FILE, then LEARNPOOL_MASTER_KEY. */
export function loadMasterKey(source: MasterKeySource = {}): Buffer | undefined {
  const env = source.env ?? process.env;
  const file = source.file ?? env.LEARNPOOL_MASTER_KEY_FILE;
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new MasterKeyError(
        `cannot read the master key file ${file}: ${(err as NodeJS.ErrnoException).code ?? "error"}`,
      );
    }
    return parseMasterKey(text, `the master key file ${file}`);
  }
  if (env.LEARNPOOL_MASTER_KEY) return parseMasterKey(env.LEARNPOOL_MASTER_KEY, "LEARNPOOL_MASTER_KEY");
  return undefined;
}

/** The master key, or an error that says how to make one. */
export function requireMasterKey(source: MasterKeySource = {}): Buffer {
  const key = loadMasterKey(source);
  if (!key) throw new MasterKeyError(`no master key is configured: ${HOW_TO_MAKE_ONE}`);
  return key;
}

/** What a sealed key is bound to: opening it under another domain or key id fails. */
export interface KeyBinding {
  domain: string;
  keyId: string;
}

function aad(binding: KeyBinding): Buffer {
  return Buffer.from(`learnpool domain key\u0000${binding.domain}\u0000${binding.keyId}`, "utf8");
}

/** Encrypts a domain key under the master key: format byte ‖ nonce ‖ ciphertext ‖ tag. */
export function sealKey(master: Buffer, key: Buffer, binding: KeyBinding): Buffer {
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv("aes-256-gcm", master, nonce);
  cipher.setAAD(aad(binding));
  const body = Buffer.concat([cipher.update(key), cipher.final()]);
  return Buffer.concat([Buffer.of(ENVELOPE_V1), nonce, body, cipher.getAuthTag()]);
}

/** Decrypts a sealed domain key; a wrong master key (or a tampered or moved envelope) fails without detail. */
export function openKey(master: Buffer, sealed: Buffer, binding: KeyBinding): Buffer {
  if (sealed.length < 1 + NONCE_BYTES + TAG_BYTES || sealed[0] !== ENVELOPE_V1) {
    throw new MasterKeyError(`cannot decrypt domain keys: the key ${binding.keyId} is not a sealed key`);
  }
  const nonce = sealed.subarray(1, 1 + NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const body = sealed.subarray(1 + NONCE_BYTES, sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv("aes-256-gcm", master, nonce);
    decipher.setAAD(aad(binding));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]);
  } catch {
    throw new MasterKeyError("cannot decrypt domain keys: wrong master key?");
  }
}
