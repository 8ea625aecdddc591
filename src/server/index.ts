/**
 * HTTP wiring only: the xAPI endpoint under /xapi, the OpenAPI document and its browsable docs,
 * authentication, logs and graceful shutdown. The rules live in the modules below.
 */
export { buildServer, type ServerOptions, XAPI_BASE } from "./app.js";
export { openApiDocument } from "./openapi.js";
