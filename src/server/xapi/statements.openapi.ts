const version = { $ref: "#/components/parameters/version" };
const error = {
  description: "Refused",
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
};
const q = (name: string, description: string, schema: Record<string, unknown> = { type: "string" }) => ({
  name,
  in: "query",
  description,
  schema,
});

export const statementsPaths = {
  "/xapi/statements": {
    put: {
      summary: "Store one statement under the given id",
      parameters: [
        version,
        { ...q("statementId", "The statement's UUID", { type: "string", format: "uuid" }), required: true },
      ],
      requestBody: { content: { "application/json": {}, "multipart/mixed": {} } },
      responses: {
        "204": { description: "Stored (or the same statement was stored already)" },
        "400": error,
        "409": error,
      },
    },
    post: {
      summary: "Store a statement or a batch of statements, atomically",
      parameters: [version],
      requestBody: { content: { "application/json": {}, "multipart/mixed": {} } },
      responses: {
        "200": { description: "The ids of the statements, in order" },
        "400": error,
        "409": error,
      },
    },
    get: {
      summary: "One statement by id, or a page of statements matching the filters",
      parameters: [
        version,
        q("statementId", "Return this statement (not if voided)"),
        q("voidedStatementId", "Return this voided statement"),
        q("agent", "JSON of an Agent or identified Group: actor or object"),
        q("verb", "Verb IRI"),
        q("activity", "Activity IRI: the object"),
        q("registration", "Registration UUID"),
        q("related_activities", "Match the activity anywhere in the statement", { type: "boolean" }),
        q("related_agents", "Match the agent anywhere in the statement", { type: "boolean" }),
        q("since", "Stored after this instant (exclusive)"),
        q("until", "Stored at or before this instant"),
        q("limit", "Page size; 0 = the server's maximum", { type: "integer", minimum: 0 }),
        q("format", "exact, ids or canonical", { type: "string", enum: ["exact", "ids", "canonical"] }),
        q("attachments", "Return multipart/mixed with the attachments' content", { type: "boolean" }),
        q("ascending", "Oldest first", { type: "boolean" }),
      ],
      responses: {
        "200": { description: "A statement, or a StatementResult with a `more` link" },
        "400": error,
        "404": error,
      },
    },
  },
};
