import type { Database } from "../store/index.js";
import type { Account, Actor, XapiVersion } from "../xapi/index.js";
import { badRequest, LrsError } from "./errors.js";
import { allows } from "./scopes.js";
import { agentParam } from "./statements/query.js";
import type { Principal } from "./tenancy.js";

/** xAPI's Person: everything the LRS knows of one person, each property a list. */
export interface Person {
  objectType: "Person";
  name?: string[];
  mbox?: string[];
  mbox_sha1sum?: string[];
  openid?: string[];
  account?: Account[];
}

/** Gathers the names and identifiers of several descriptions of one person, without repeats. */
export function personOf(actors: readonly Actor[]): Person {
  const person: Person = { objectType: "Person" };
  const add = (key: "name" | "mbox" | "mbox_sha1sum" | "openid", value: unknown) => {
    if (typeof value !== "string") return;
    const list: string[] = person[key] ?? [];
    person[key] = list;
    if (!list.includes(value)) list.push(value);
  };
  for (const actor of actors) {
    add("name", actor.name);
    add("mbox", actor.mbox);
    add("mbox_sha1sum", actor.mbox_sha1sum);
    add("openid", actor.openid);
    const account = actor.account;
    if (account && typeof account.homePage === "string" && typeof account.name === "string") {
      const list = person.account ?? [];
      person.account = list;
      if (!list.some((a) => a.homePage === account.homePage && a.name === account.name)) {
        list.push({ homePage: account.homePage, name: account.name });
      }
    }
  }
  return person;
}

/**
 * The Agents resource: the Person behind an agent, from what statements stored with the `define`
 * scope said of it and from the agent asked about (all the LRS knows when it has seen nothing).
 */
export class AgentService {
  constructor(private readonly db: Database) {}

  async person(principal: Principal, version: XapiVersion, params: Record<string, string>): Promise<Person> {
    if (!allows(principal.scopes, "agents/read"))
      throw new LrsError(403, "this credential may not read agents");
    for (const name of Object.keys(params)) {
      if (name !== "agent") throw badRequest(`unknown parameter ${name} for GET /agents`);
    }
    const raw = params.agent;
    if (raw === undefined) throw badRequest("GET /agents needs the parameter agent");
    const ifi = agentParam(raw, version);
    const asked = JSON.parse(raw) as Actor;
    const row = await this.db.one<{ agent: string }>(
      "SELECT agent FROM agents WHERE store_id = ? AND ifi = ?",
      [principal.storeId, ifi],
    );
    const known = row ? [JSON.parse(row.agent) as Actor] : [];
    return personOf([...known, asked]);
  }
}
