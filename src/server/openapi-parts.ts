/**
 * The pieces the route groups' OpenAPI descriptions are written with: JSON bodies, the shared error
 * body, HTTP Basic and its refusal, and the common schema shapes.
 */
export const json = (schema: Record<string, unknown>) => ({ "application/json": { schema } });
export const errorBody = json({ $ref: "#/components/schemas/Error" });
export const error = (description: string) => ({ description, content: errorBody });
export const basicRefused = {
  description: "No valid LRS credential (HTTP Basic); `WWW-Authenticate: Basic` says so",
  headers: { "WWW-Authenticate": { schema: { type: "string" } } },
  content: errorBody,
};
export const basic = [{ basic: [] }];
export const obj = (properties: Record<string, unknown>, required: string[] = []) => ({
  type: "object",
  properties,
  ...(required.length > 0 && { required }),
});
export const str = { type: "string" };
export const int = { type: "integer" };
export const nullable = { type: ["string", "null"] };
export const dateTime = { type: "string", format: "date-time" };
