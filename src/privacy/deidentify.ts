/**
 * De-identification of xAPI statements under a profile (`profile.ts`), batch by batch:
 * 1. every agent of the batch (actor, object, instructor, team and its members, context agents and
 *    groups, authority, inside SubStatements too) is read as a normalized identifier;
 * 2. the pseudonymizer derives, once per batch and only for identifiers not seen before, the secrets
 *    of their pseudonyms (and of the learners' time offsets when timestamps are shifted);
 * 3. each statement is rebuilt by pure rules: pseudonymous accounts in place of agents (names, mbox,
 *    mbox_sha1sum, openid gone), extensions by allow-list with IP, user agents and geolocation dropped
 *    everywhere, free text scrubbed (`scrub.ts`), timestamps shifted and/or coarsened, statement ids,
 *    StatementRef targets and registrations re-derived under a key of the domain (AES-256 of the
 *    UUID's bytes), re-keyed extension values by HMAC-SHA256, attachments dropped or kept.
 * Counts of what each rule changed accumulate in `DeidentifyCounts` for the run's report.
 */
import { type Cipher, createCipheriv, createHmac, hkdfSync } from "node:crypto";
import { parseInstant } from "../xapi/time.js";
import { type Identifier, IdentifierError, identifierText, normalizeIdentifier } from "./identifiers.js";
import {
  type DeidentificationProfile,
  type FreeTextField,
  isSensitiveKey,
  type OptionalAgentField,
} from "./profile.js";
import { type Pseudonymizer, pseudonymText } from "./pseudonymizer.js";
import { emptyScrubCounts, NameIndex, type RosterName, Scrubber, type ScrubCounts } from "./scrub.js";

type Json = unknown;
type Obj = Record<string, Json>;

const OPENID_NAMESPACE = "urn:xapi:openid";
const SHA1SUM_NAMESPACE = "urn:xapi:mbox_sha1sum";
const GROUP_NAMESPACE = "urn:xapi:anonymous-group";
const SIGNATURE_USAGE = "http://adlnet.gov/expapi/attachments/signature";
/** A string that is a browser's user agent (`Mozilla/5.0 (…) AppleWebKit/…`). */
const USER_AGENT = /^(?:Mozilla|Opera)\/\d|\b(?:AppleWebKit|Gecko|Chrome|Safari|Firefox|Edg|Trident)\/\d/;
/** Secrets cached across batches are dropped past this many entries, keeping memory bounded. */
const CACHE_LIMIT = 1_000_000;

export interface DeidentifyOptions {
  pseudonymizer: Pseudonymizer;
  /** The provider's local 32-byte key: re-derived ids and re-keyed extension values come from it. */
  localKey: Buffer;
  /** The provider's learners and staff, whose names are scrubbed from free text. */
  roster?: readonly RosterName[];
  /** Region of phone numbers written without a country code (default FR). */
  phoneRegion?: string;
}

export interface DeidentifyCounts {
  read: number;
  written: number;
  rejected: number;
  /** Agents replaced by pseudonymous accounts, per position (`team.member`, `object`, `substatement.actor`…). */
  pseudonymized: Record<string, number>;
  /** Agents removed, per position (the profile drops that position). */
  agentsDropped: Record<string, number>;
  /** The identifiers agents were recognised by: mbox, account, openid, mbox_sha1sum, members. */
  identifiedBy: Record<string, number>;
  namesRemoved: number;
  /** Distinct identifiers the pseudonymizer was asked for (cache misses). */
  derived: number;
  extensions: {
    kept: Record<string, number>;
    dropped: Record<string, number>;
    rekeyed: Record<string, number>;
    /** Keys and values inside kept extensions, and `context.platform`, dropped as IP, user agent or geolocation. */
    sensitiveDropped: number;
  };
  /** Finds replaced, per kind, and texts changed, per rule field. */
  scrubbed: ScrubCounts;
  scrubbedFields: Record<string, number>;
  timestamps: { shifted: number; coarsened: number };
  ids: { statement: number; statementRef: number; registration: number };
  attachments: { dropped: number; kept: number };
}

export function emptyCounts(): DeidentifyCounts {
  return {
    read: 0,
    written: 0,
    rejected: 0,
    pseudonymized: {},
    agentsDropped: {},
    identifiedBy: {},
    namesRemoved: 0,
    derived: 0,
    extensions: { kept: {}, dropped: {}, rekeyed: {}, sensitiveDropped: 0 },
    scrubbed: emptyScrubCounts(),
    scrubbedFields: {},
    timestamps: { shifted: 0, coarsened: 0 },
    ids: { statement: 0, statementRef: 0, registration: 0 },
    attachments: { dropped: 0, kept: 0 },
  };
}

function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

export interface Rejection {
  /** Index of the statement in its batch. */
  index: number;
  /** Why, naming the property; never a value. */
  reason: string;
}

export interface BatchResult {
  /** The de-identified statements, in input order, rejected ones left out. */
  statements: Obj[];
  rejected: Rejection[];
}

class Rejected extends Error {}

function isObj(v: Json): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A UUID (version 8, RFC 9562's custom layout) from the first 16 bytes of a MAC. */
function uuidOf(mac: Buffer): string {
  mac[6] = (mac[6]! & 0x0f) | 0x80;
  mac[8] = (mac[8]! & 0x3f) | 0x80;
  const h = mac.toString("hex", 0, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `2021-11-29T23:09:00.867219Z` from an instant: milliseconds, and nanoseconds within them. */
function formatInstant(ms: number, nanos: number): string {
  const iso = new Date(ms).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  if (nanos === 0) return iso.endsWith(".000Z") ? `${iso.slice(0, 19)}Z` : iso;
  let fraction = `${iso.slice(20, 23)}${String(nanos).padStart(6, "0")}`;
  let end = fraction.length;
  while (fraction.charCodeAt(end - 1) === 48) end--;
  fraction = fraction.slice(0, end);
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function coarsen(ms: number, to: "hour" | "day" | "week"): number {
  if (to === "hour") return Math.floor(ms / HOUR) * HOUR;
  const day = Math.floor(ms / DAY);
  if (to === "day") return day * DAY;
  // 1970-01-01 was a Thursday: (day + 3) mod 7 is 0 on Mondays.
  return (day - ((((day + 3) % 7) + 7) % 7)) * DAY;
}

/** A learner's offset in whole seconds within ±maxDays, from the first 6 bytes of its secret. */
export function offsetSeconds(secret: Buffer, maxDays: number): number {
  const max = Math.round(maxDays * 86_400);
  return (secret.readUIntBE(0, 6) % (2 * max + 1)) - max;
}

/**
 * De-identifies batches of statements under one profile, keeping across batches what must stay
 * consistent (pseudonyms and offsets: the same learner, the same values) and the counts of the run.
 */
export class Deidentifier {
  readonly counts = emptyCounts();
  readonly scrubber: Scrubber;
  private readonly idKey: Buffer;
  private readonly pseudonyms = new Map<string, string>();
  private readonly offsets = new Map<string, number>();
  private readonly rekeyed = new Map<string, string>();
  private readonly text: ReadonlySet<FreeTextField>;

  constructor(
    readonly profile: DeidentificationProfile,
    private readonly options: DeidentifyOptions,
  ) {
    if (options.localKey.length !== 32) throw new Error("the local key must be 32 bytes");
    if (options.pseudonymizer.domain !== profile.domain)
      throw new Error(
        `the pseudonymizer's domain (${options.pseudonymizer.domain}) is not the profile's (${profile.domain})`,
      );
    // Ids are keyed under the domain too: two domains never share a re-derived id.
    this.idKey = Buffer.from(
      hkdfSync(
        "sha256",
        options.localKey,
        Buffer.alloc(0),
        `learnpool deidentify ids\u0000${profile.domain}`,
        32,
      ),
    );
    this.scrubber = new Scrubber(new NameIndex(options.roster ?? [], profile.freeText.nameParts));
    this.text = profile.freeText.fields;
    for (const label of ["statement", "registration"] as const) {
      const key = hkdfSync("sha256", this.idKey, Buffer.alloc(0), `uuid\u0000${label}`, 32);
      const cipher = createCipheriv("aes-256-ecb", Buffer.from(key), null);
      cipher.setAutoPadding(false);
      this.uuidCiphers[label] = cipher;
    }
  }

  /**
   * UUIDs (statement ids, StatementRef targets, registrations) are re-derived by AES-256 of their 16
   * bytes under a key of the domain: a block cipher on one block is a keyed pseudorandom function, so
   * two source ids never share an output, and one long-lived ECB cipher costs no set-up per id (an
   * HMAC object per statement was the largest cost of a run). Non-UUID values go through the HMAC.
   */
  private readonly uuidCiphers = {} as Record<"statement" | "registration", Cipher>;
  private readonly block = Buffer.alloc(16);

  private keyedUuidOfUuid(label: "statement" | "registration", id: string): string {
    if (!UUID.test(id)) return this.keyedUuid(label, id.toLowerCase());
    const block = this.block;
    block.write(id.slice(0, 8), 0, "hex");
    block.write(id.slice(9, 13), 4, "hex");
    block.write(id.slice(14, 18), 6, "hex");
    block.write(id.slice(19, 23), 8, "hex");
    block.write(id.slice(24, 36), 10, "hex");
    return uuidOf(this.uuidCiphers[label].update(block));
  }

  /** A keyed UUID for a source value under a label (`statement`, `registration`, an extension IRI). */
  keyedUuid(label: string, value: string): string {
    return uuidOf(createHmac("sha256", this.idKey).update(`${label}\u0000${value}`).digest());
  }

  /** Identifier texts of the agents of the batch being rebuilt, so that each agent is normalized once. */
  private known = new Map<Obj, string>();

  /** The normalized identifier of an agent or identified group; undefined for an anonymous group. */
  identifierOf(agent: Obj, where: string): Identifier | undefined {
    const region = this.options.phoneRegion;
    try {
      if (typeof agent.mbox === "string") return normalizeIdentifier("email", agent.mbox);
      if (isObj(agent.account)) {
        const { homePage, name } = agent.account;
        if (typeof homePage !== "string" || typeof name !== "string")
          throw new Rejected(`${where}.account needs homePage and name strings`);
        const kind = this.profile.agents.accountKinds[homePage];
        if (kind && kind !== "account")
          return normalizeIdentifier(kind, name, region === undefined ? {} : { phoneRegion: region });
        return normalizeIdentifier("account", name, { namespace: homePage });
      }
      if (typeof agent.openid === "string")
        return normalizeIdentifier("account", agent.openid, { namespace: OPENID_NAMESPACE });
      if (typeof agent.mbox_sha1sum === "string") {
        if (this.profile.agents.mboxSha1sum === "reject")
          throw new Rejected(`${where}.mbox_sha1sum: the profile rejects agents identified by mbox_sha1sum`);
        return normalizeIdentifier("account", agent.mbox_sha1sum.toLowerCase(), {
          namespace: SHA1SUM_NAMESPACE,
        });
      }
    } catch (err) {
      if (err instanceof IdentifierError) throw new Rejected(`${where}: ${err.message}`);
      throw err;
    }
    if (agent.objectType === "Group" && Array.isArray(agent.member)) return undefined;
    throw new Rejected(`${where}: an agent without mbox, mbox_sha1sum, openid or account`);
  }

  /** The identifier standing for a learner (the actor) in time offsets: an anonymous group by its members. */
  private learnerOf(actor: Json): Identifier | undefined {
    if (!isObj(actor)) return undefined;
    const id = this.identifierOf(actor, "actor");
    if (id || !Array.isArray(actor.member)) return id;
    const members = actor.member
      .filter(isObj)
      .map((m) => identifierText(this.identifierOf(m, "actor.member")!))
      .sort();
    return { kind: "account", namespace: GROUP_NAMESPACE, value: members.join("\u0001") };
  }

  /** Every identifier of a statement's agents, wherever they are. */
  private collect(statement: Obj, into: Map<string, Identifier>): void {
    const drops = this.profile.agents.fields;
    const add = (agent: Json, where: string, field?: OptionalAgentField) => {
      if (!isObj(agent) || (field && drops[field] === "drop")) return;
      const id = this.identifierOf(agent, where);
      if (id) {
        const text = identifierText(id);
        into.set(text, id);
        this.known.set(agent, text);
      }
      if (Array.isArray(agent.member))
        agent.member.forEach((m, i) => {
          add(m, `${where}.member[${i}]`);
        });
    };
    const inStatement = (s: Obj, at: string) => {
      add(s.actor, `${at}actor`);
      if (isObj(s.object)) {
        const type = s.object.objectType;
        if (type === "Agent" || type === "Group") add(s.object, `${at}object`);
        if (type === "SubStatement") inStatement(s.object, `${at}object.`);
      }
      if (isObj(s.context)) {
        const c = s.context;
        add(c.instructor, `${at}context.instructor`, "instructor");
        add(c.team, `${at}context.team`, "team");
        if (Array.isArray(c.contextAgents))
          c.contextAgents.forEach((a, i) => {
            if (isObj(a)) add(a.agent, `${at}context.contextAgents[${i}].agent`, "contextAgents");
          });
        if (Array.isArray(c.contextGroups))
          c.contextGroups.forEach((g, i) => {
            if (isObj(g)) add(g.group, `${at}context.contextGroups[${i}].group`, "contextGroups");
          });
      }
    };
    inStatement(statement, "");
    add(statement.authority, "authority", "authority");
  }

  /** De-identifies one batch: one call of the pseudonymizer per purpose, then pure rules per statement. */
  async run(batch: readonly Json[]): Promise<BatchResult> {
    const ids = new Map<string, Identifier>();
    const learners = new Map<string, Identifier>();
    const learnerOfStatement: (string | undefined)[] = [];
    const rejected: Rejection[] = [];
    const bad = new Set<number>();
    const shift = this.profile.timestamps.shift;
    batch.forEach((statement, index) => {
      try {
        if (!isObj(statement)) throw new Rejected("a statement must be a JSON object");
        this.collect(statement, ids);
        if (shift) {
          const actorText = isObj(statement.actor) ? this.known.get(statement.actor) : undefined;
          const learner = actorText !== undefined ? ids.get(actorText) : this.learnerOf(statement.actor);
          if (learner) {
            const text = identifierText(learner);
            learners.set(text, learner);
            learnerOfStatement[index] = text;
          }
        }
      } catch (err) {
        if (!(err instanceof Rejected)) throw err;
        rejected.push({ index, reason: err.message });
        bad.add(index);
      }
    });
    const missing = [...ids].filter(([text]) => !this.pseudonyms.has(text)).map(([, id]) => id);
    if (missing.length > 0) {
      if (this.pseudonyms.size + missing.length > CACHE_LIMIT) this.pseudonyms.clear();
      const secrets = await this.options.pseudonymizer.derive(missing, "pseudonym");
      for (const id of missing) {
        const text = identifierText(id);
        const secret = secrets.get(text);
        if (!secret) throw new Error("the pseudonymizer returned no secret for an identifier of the batch");
        this.pseudonyms.set(text, pseudonymText(secret));
      }
      this.counts.derived += missing.length;
    }
    if (shift) {
      const wanted = [...learners].filter(([text]) => !this.offsets.has(text)).map(([, id]) => id);
      if (wanted.length > 0) {
        if (this.offsets.size + wanted.length > CACHE_LIMIT) this.offsets.clear();
        const secrets = await this.options.pseudonymizer.derive(wanted, "time-offset");
        for (const id of wanted) {
          const secret = secrets.get(identifierText(id));
          if (!secret)
            throw new Error("the pseudonymizer returned no time offset for a learner of the batch");
          this.offsets.set(identifierText(id), offsetSeconds(secret, shift.maxDays) * 1000);
        }
      }
    }
    const statements: Obj[] = [];
    this.counts.read += batch.length;
    batch.forEach((statement, index) => {
      if (bad.has(index)) return;
      try {
        const learner = learnerOfStatement[index];
        const offset = learner === undefined ? 0 : (this.offsets.get(learner) ?? 0);
        statements.push(this.statement(statement as Obj, offset));
      } catch (err) {
        if (!(err instanceof Rejected)) throw err;
        rejected.push({ index, reason: err.message });
      }
    });
    this.known = new Map();
    rejected.sort((a, b) => a.index - b.index);
    this.counts.rejected += rejected.length;
    this.counts.written += statements.length;
    return { statements, rejected };
  }

  // ---- the rules, statement by statement (pure given the pseudonyms and offsets above) ----

  private statement(s: Obj, offset: number): Obj {
    const out: Obj = {};
    if (typeof s.id === "string") out.id = this.rederive("statement", s.id);
    this.core(s, offset, "", out);
    if (s.stored !== undefined) out.stored = this.time(s.stored, offset, "stored");
    if (s.authority !== undefined) {
      const authority = this.optionalAgent(s.authority, "authority", "authority");
      if (authority) out.authority = authority;
    }
    if (s.version !== undefined) out.version = s.version;
    return out;
  }

  /** What statements and SubStatements share: actor, verb, object, result, context, timestamp, attachments. */
  private core(s: Obj, offset: number, at: string, out: Obj = {}): Obj {
    if (s.objectType !== undefined) out.objectType = s.objectType;
    out.actor = this.actor(s.actor, `${at}actor`);
    out.verb = s.verb;
    out.object = this.object(s.object, offset, at);
    if (isObj(s.result)) {
      const result = this.result(s.result);
      if (result) out.result = result;
    }
    if (isObj(s.context)) out.context = this.context(s.context, at);
    if (s.timestamp !== undefined) out.timestamp = this.time(s.timestamp, offset, `${at}timestamp`);
    if (Array.isArray(s.attachments)) {
      const attachments = this.attachments(s.attachments);
      if (attachments.length > 0) out.attachments = attachments;
    }
    return out;
  }

  private rederive(label: "statement" | "statementRef" | "registration", id: string): string {
    if (!this.profile.ids.rederive) return id;
    this.counts.ids[label]++;
    // StatementRefs name statements: their targets take the statement label, so both agree.
    return this.keyedUuidOfUuid(label === "registration" ? "registration" : "statement", id);
  }

  private countIdentified(agent: Obj): void {
    const by =
      agent.mbox !== undefined
        ? "mbox"
        : agent.account !== undefined
          ? "account"
          : agent.openid !== undefined
            ? "openid"
            : "mbox_sha1sum";
    bump(this.counts.identifiedBy, by);
    if (typeof agent.name === "string") this.counts.namesRemoved++;
  }

  private textOf(agent: Obj, where: string): string | undefined {
    const known = this.known.get(agent);
    if (known !== undefined) return known;
    const id = this.identifierOf(agent, where);
    return id && identifierText(id);
  }

  private pseudonymous(agent: Obj, where: string): Obj {
    const text = this.textOf(agent, where);
    if (!text) throw new Rejected(`${where}: a group cannot stand where an agent is expected`);
    this.countIdentified(agent);
    bump(this.counts.pseudonymized, where.includes("[") ? where.replace(/\[\d+\]/g, "") : where);
    return {
      objectType: "Agent",
      account: { homePage: this.profile.domain, name: this.pseudonyms.get(text)! },
    };
  }

  /** An Agent or Group as pseudonymous accounts; a group keeps its (pseudonymous) members. */
  private actor(agent: Json, where: string): Obj {
    if (!isObj(agent)) throw new Rejected(`${where} must be an object`);
    if (agent.objectType !== "Group") return this.pseudonymous(agent, where);
    const out: Obj = { objectType: "Group" };
    const identified = this.textOf(agent, where);
    if (typeof agent.name === "string" && !identified) this.counts.namesRemoved++;
    if (identified) {
      this.countIdentified(agent);
      bump(this.counts.pseudonymized, where.includes("[") ? where.replace(/\[\d+\]/g, "") : where);
      out.account = { homePage: this.profile.domain, name: this.pseudonyms.get(identified)! };
    }
    if (Array.isArray(agent.member)) {
      out.member = agent.member.map((m, i) => {
        if (!isObj(m)) throw new Rejected(`${where}.member[${i}] must be an object`);
        return this.pseudonymous(m, `${where}.member[${i}]`);
      });
    }
    return out;
  }

  private optionalAgent(agent: Json, field: OptionalAgentField, where: string): Obj | undefined {
    if (this.profile.agents.fields[field] === "drop") {
      bump(this.counts.agentsDropped, where.replace(/\[\d+\]/g, ""));
      return undefined;
    }
    return this.actor(agent, where);
  }

  private object(object: Json, offset: number, at: string): Json {
    if (!isObj(object)) throw new Rejected(`${at}object must be an object`);
    switch (object.objectType) {
      case "Agent":
      case "Group":
        return this.actor(object, `${at}object`);
      case "StatementRef":
        if (typeof object.id !== "string") throw new Rejected(`${at}object.id must be a string`);
        return { objectType: "StatementRef", id: this.rederive("statementRef", object.id) };
      case "SubStatement":
        if (at !== "") throw new Rejected("a SubStatement cannot hold a SubStatement");
        return this.core(object, offset, "object.");
      default:
        return this.activity(object);
    }
  }

  private activity(activity: Obj): Obj {
    if (!isObj(activity.definition)) return activity;
    const d = activity.definition;
    const out: Obj = {};
    const scrubbed =
      this.profile.freeText.activities === "all" ||
      (typeof d.type === "string" && this.profile.freeText.userGeneratedTypes.has(d.type));
    // Nothing to change: the activity is kept as it is (the output shares it with the input).
    if (!scrubbed && d.extensions === undefined) return activity;
    for (const key in d) {
      const value = d[key];
      if (key === "extensions") {
        const extensions = this.extensions(value, this.profile.extensions.activity, "activity");
        if (extensions) out.extensions = extensions;
      } else if (scrubbed && (key === "name" || key === "description")) {
        out[key] = this.languageMap(value, key === "name" ? "activity.name" : "activity.description");
      } else if (scrubbed && key === "moreInfo" && typeof value === "string") {
        // A link to a user's page cannot be rewritten into a valid IRL: it is dropped.
        if (this.scrubber.detect(value).length === 0) out.moreInfo = value;
        else bump(this.counts.scrubbedFields, "activity.moreInfo");
      } else if (
        scrubbed &&
        Array.isArray(value) &&
        ["choices", "scale", "source", "target", "steps"].includes(key)
      ) {
        out[key] = value.map((c) =>
          isObj(c) && c.description !== undefined
            ? { ...c, description: this.languageMap(c.description, "activity.interactionComponents") }
            : c,
        );
      } else out[key] = value;
    }
    return { ...activity, definition: out };
  }

  private languageMap(map: Json, field: FreeTextField): Json {
    if (!this.text.has(field) || !isObj(map)) return map;
    const out: Obj = {};
    for (const [lang, text] of Object.entries(map))
      out[lang] = typeof text === "string" ? this.freeText(text, field) : text;
    return out;
  }

  private freeText(text: string, field: string): string {
    const scrubbed = this.scrubber.scrub(text, this.counts.scrubbed);
    if (scrubbed !== text) bump(this.counts.scrubbedFields, field);
    return scrubbed;
  }

  private result(r: Obj): Obj | undefined {
    const out: Obj = {};
    for (const key in r) {
      const value = r[key];
      if (key === "extensions") {
        const extensions = this.extensions(value, this.profile.extensions.result, "result");
        if (extensions) out.extensions = extensions;
      } else if (key === "response" && typeof value === "string" && this.text.has("result.response"))
        out.response = this.freeText(value, "result.response");
      else out[key] = value;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }

  private context(c: Obj, at: string): Obj {
    const out: Obj = {};
    for (const key in c) {
      const value = c[key];
      switch (key) {
        case "registration":
          if (typeof value !== "string") throw new Rejected(`${at}context.registration must be a string`);
          out.registration = this.rederive("registration", value);
          break;
        case "instructor":
        case "team": {
          const agent = this.optionalAgent(value, key, `${at}context.${key}`);
          if (agent) out[key] = agent;
          break;
        }
        case "contextAgents":
        case "contextGroups": {
          if (!Array.isArray(value)) throw new Rejected(`${at}context.${key} must be an array`);
          const inner = key === "contextAgents" ? "agent" : "group";
          const kept: Obj[] = [];
          value.forEach((entry, i) => {
            if (!isObj(entry)) throw new Rejected(`${at}context.${key}[${i}] must be an object`);
            const agent = this.optionalAgent(entry[inner], key, `${at}context.${key}[${i}].${inner}`);
            if (agent) kept.push({ ...entry, [inner]: agent });
          });
          if (kept.length > 0) out[key] = kept;
          break;
        }
        case "contextActivities": {
          if (!isObj(value)) throw new Rejected(`${at}context.contextActivities must be an object`);
          const activities: Obj = {};
          for (const kind in value) {
            const list = value[kind];
            activities[kind] = Array.isArray(list)
              ? list.map((a) => (isObj(a) ? this.activity(a) : a))
              : isObj(list)
                ? this.activity(list)
                : list;
          }
          out.contextActivities = activities;
          break;
        }
        case "statement":
          if (!isObj(value) || typeof value.id !== "string")
            throw new Rejected(`${at}context.statement must be a StatementRef`);
          out.statement = { objectType: "StatementRef", id: this.rederive("statementRef", value.id) };
          break;
        case "extensions": {
          const extensions = this.extensions(value, this.profile.extensions.context, "context");
          if (extensions) out.extensions = extensions;
          break;
        }
        case "platform":
          if (typeof value === "string" && USER_AGENT.test(value)) this.counts.extensions.sensitiveDropped++;
          else out.platform = value;
          break;
        default:
          out[key] = value;
      }
    }
    return out;
  }

  private extensions(value: Json, allowed: ReadonlySet<string>, where: string): Obj | undefined {
    if (!isObj(value)) return undefined;
    const out: Obj = {};
    let kept = 0;
    for (const iri in value) {
      const v = value[iri];
      if (!allowed.has(iri)) {
        bump(this.counts.extensions.dropped, iri);
        continue;
      }
      if (this.profile.extensions.rekey.has(iri)) {
        // Such values repeat (a session's many events): their keyed UUIDs are cached.
        const source = `${iri}\u0000${typeof v === "string" ? v : JSON.stringify(v)}`;
        let keyed = this.rekeyed.get(source);
        if (keyed === undefined) {
          if (this.rekeyed.size >= CACHE_LIMIT) this.rekeyed.clear();
          keyed = this.keyedUuid("extension", source);
          this.rekeyed.set(source, keyed);
        }
        out[iri] = keyed;
        bump(this.counts.extensions.rekeyed, iri);
        kept++;
        continue;
      }
      const cleaned = this.extensionValue(v, `${where}.extensions`);
      if (cleaned === DROP) continue;
      out[iri] = cleaned;
      bump(this.counts.extensions.kept, iri);
      kept++;
    }
    return kept > 0 ? out : undefined;
  }

  /** A kept extension's value without IP, user-agent or geolocation keys and values; its strings scrubbed. */
  private extensionValue(v: Json, field: string): Json | typeof DROP {
    if (typeof v === "string") {
      if (USER_AGENT.test(v)) {
        this.counts.extensions.sensitiveDropped++;
        return DROP;
      }
      return this.text.has("extensions") ? this.freeText(v, "extensions") : v;
    }
    if (Array.isArray(v)) {
      const out: Json[] = [];
      for (const item of v) {
        const cleaned = this.extensionValue(item, field);
        if (cleaned !== DROP) out.push(cleaned);
      }
      return out;
    }
    if (isObj(v)) {
      const out: Obj = {};
      for (const key in v) {
        const item = v[key];
        if (isSensitiveKey(key)) {
          this.counts.extensions.sensitiveDropped++;
          continue;
        }
        const cleaned = this.extensionValue(item, field);
        if (cleaned !== DROP) out[key] = cleaned;
      }
      return out;
    }
    return v;
  }

  private time(value: Json, offset: number, where: string): string {
    const instant = parseInstant(value);
    if (!instant) throw new Rejected(`${where} is not an ISO 8601 timestamp`);
    let { ms, nanos } = instant;
    const { shift, coarsen: to } = this.profile.timestamps;
    if (shift) {
      ms += offset;
      this.counts.timestamps.shifted++;
    }
    if (to) {
      ms = coarsen(ms, to);
      nanos = 0;
      this.counts.timestamps.coarsened++;
    }
    return formatInstant(ms, nanos);
  }

  private attachments(list: Json[]): Obj[] {
    const out: Obj[] = [];
    for (const a of list) {
      // A signature carries the original statement, identities included: never kept.
      if (this.profile.attachments === "drop" || !isObj(a) || a.usageType === SIGNATURE_USAGE) {
        this.counts.attachments.dropped++;
        continue;
      }
      const kept: Obj = { ...a };
      if (a.display !== undefined) kept.display = this.languageMap(a.display, "attachment.display");
      if (a.description !== undefined)
        kept.description = this.languageMap(a.description, "attachment.description");
      if (typeof a.fileUrl === "string" && this.scrubber.detect(a.fileUrl).length > 0) {
        delete kept.fileUrl;
        bump(this.counts.scrubbedFields, "attachment.fileUrl");
      }
      this.counts.attachments.kept++;
      out.push(kept);
    }
    return out;
  }
}

const DROP = Symbol("drop");

/** One batch under a profile, for callers without a run to keep: see `Deidentifier` for runs. */
export async function deidentify(
  statements: readonly Json[],
  profile: DeidentificationProfile,
  options: DeidentifyOptions,
): Promise<BatchResult & { counts: DeidentifyCounts }> {
  const deidentifier = new Deidentifier(profile, options);
  const result = await deidentifier.run(statements);
  return { ...result, counts: deidentifier.counts };
}
