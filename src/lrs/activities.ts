import type { Database } from "../store/index.js";
import { type Activity, isIri } from "../xapi/index.js";
import { canonicalActivity } from "./definitions.js";
import { badRequest, LrsError } from "./errors.js";
import { allows } from "./scopes.js";
import type { Principal } from "./tenancy.js";

/**
 * The Activities resource: the LRS's canonical definition of an activity, as recorded from statements
 * stored with the `define` scope. An activity the store has no definition for is still answered, with
 * its id alone, since the id is all the LRS knows of it.
 */
export class ActivityService {
  constructor(private readonly db: Database) {}

  async get(principal: Principal, params: Record<string, string>): Promise<Activity> {
    if (!allows(principal.scopes, "activities/read")) {
      throw new LrsError(403, "this credential may not read activities");
    }
    for (const name of Object.keys(params)) {
      if (name !== "activityId") throw badRequest(`unknown parameter ${name} for GET /activities`);
    }
    const id = params.activityId;
    if (id === undefined) throw badRequest("GET /activities needs the parameter activityId");
    if (!isIri(id)) throw badRequest(`parameter activityId must be an IRI, not '${id}'`);
    return (await canonicalActivity(this.db, principal.storeId, id)) ?? { objectType: "Activity", id };
  }
}
