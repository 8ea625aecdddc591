const version = { $ref: "#/components/parameters/version" };
const error = {
  description: "Refused",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
};
const q = (
  name: string,
  description: string,
  required = false,
  schema: Record<string, unknown> = { type: "string" },
) => ({
  name,
  in: "query",
  description,
  required,
  schema,
});
const h = (name: string, description: string) => ({
  name,
  in: "header",
  description,
  schema: { type: "string" },
});

const activityId = (required: boolean) => q("activityId", "The activity's IRI", required);
const agent = (required: boolean) => q("agent", "JSON of an Agent or identified Group", required);
const registration = q("registration", "Registration UUID", false, { type: "string", format: "uuid" });
const since = q("since", "Only ids of documents changed after this instant", false, {
  type: "string",
  format: "date-time",
});
const ifMatch = h("If-Match", "Change only if the document's ETag is one of these (or * : it exists)");
const ifNoneMatch = h(
  "If-None-Match",
  "Change only if the document's ETag is none of these (* : it does not exist)",
);

/** The GET, PUT, POST and DELETE of one document resource; `id` names its document id parameter. */
function documentPaths(what: string, keys: object[], id: string, deleteMany: boolean) {
  const one = q(id, `The ${what}'s id`, true);
  const optionalId = q(id, `The ${what}'s id; without it, the ids of the matching documents`);
  return {
    get: {
      summary: `A ${what} (with its ETag and Last-Modified), or the ids of the matching ones`,
      parameters: [version, ...keys, optionalId, since],
      responses: {
        "200": { description: "The document as stored, or a JSON array of ids" },
        "400": error,
        "404": error,
      },
    },
    put: {
      summary: `Store a ${what}, replacing any; an existing one needs If-Match or If-None-Match`,
      parameters: [version, ...keys, one, ifMatch, ifNoneMatch],
      requestBody: { content: { "*/*": {} } },
      responses: { "204": { description: "Stored" }, "400": error, "409": error, "412": error },
    },
    post: {
      summary: `Store a ${what}, or merge a JSON object into the stored JSON object`,
      parameters: [version, ...keys, one, ifMatch, ifNoneMatch],
      requestBody: { content: { "application/json": {}, "*/*": {} } },
      responses: { "204": { description: "Stored or merged" }, "400": error, "412": error },
    },
    delete: {
      summary: deleteMany ? `Delete a ${what}, or every matching one without ${id}` : `Delete a ${what}`,
      parameters: [version, ...keys, deleteMany ? optionalId : one, ifMatch, ifNoneMatch],
      responses: {
        "204": { description: "Deleted (or there was nothing to delete)" },
        "400": error,
        "412": error,
      },
    },
  };
}

export const documentsPaths = {
  "/xapi/activities/state": documentPaths(
    "state document",
    [activityId(true), agent(true), registration],
    "stateId",
    true,
  ),
  "/xapi/activities/profile": documentPaths("activity profile", [activityId(true)], "profileId", false),
  "/xapi/agents/profile": documentPaths("agent profile", [agent(true)], "profileId", false),
  "/xapi/activities": {
    get: {
      summary: "The canonical Activity for an id (only its id when the LRS has no definition)",
      parameters: [version, activityId(true)],
      responses: { "200": { description: "An Activity" }, "400": error },
    },
  },
  "/xapi/agents": {
    get: {
      summary: "The Person behind an agent: every name and identifier the LRS knows, as lists",
      parameters: [version, agent(true)],
      responses: { "200": { description: "A Person object" }, "400": error },
    },
  },
};
