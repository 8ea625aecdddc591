import { isIri, isUuid, parseTimestamp, type XapiVersion } from "../../xapi/index.js";
import { badRequest } from "../errors.js";
import { agentParam } from "../statements/query.js";

/** The three document resources of xAPI: where a Learning Record Provider keeps its own data. */
export type DocumentKind = "state" | "activityProfile" | "agentProfile";

export type DocumentMethod = "GET" | "PUT" | "POST" | "DELETE";

interface ResourceShape {
  path: string;
  activity: boolean;
  agent: boolean;
  registration: boolean;
  idName: "stateId" | "profileId";
}

const SHAPES: Record<DocumentKind, ResourceShape> = {
  state: { path: "/activities/state", activity: true, agent: true, registration: true, idName: "stateId" },
  activityProfile: {
    path: "/activities/profile",
    activity: true,
    agent: false,
    registration: false,
    idName: "profileId",
  },
  agentProfile: {
    path: "/agents/profile",
    activity: false,
    agent: true,
    registration: false,
    idName: "profileId",
  },
};

/**
 * A document request after its parameters are checked. Columns a resource does not use are empty
 * strings, so that every document has a full key; `registration` is empty when none was given.
 */
export interface DocumentRequest {
  kind: DocumentKind;
  activityId: string;
  /** The IFI key of the agent (see `agentIfi`), or empty. */
  agent: string;
  registration: string;
  /** Whether a registration was given: lists and bulk deletes without one span every registration. */
  hasRegistration: boolean;
  /** stateId or profileId; undefined asks for the list of ids (GET) or every state (DELETE). */
  docId?: string;
  /** ISO instant: list only documents updated after it. */
  since?: string;
}

/** Checks the parameters of a document request as xAPI 1.0.3 and 2.0 give them for each resource. */
export function parseDocumentRequest(
  kind: DocumentKind,
  method: DocumentMethod,
  params: Record<string, string>,
  version: XapiVersion,
): DocumentRequest {
  const shape = SHAPES[kind];
  const where = `${method} ${shape.path}`;
  const allowed: string[] = [shape.idName];
  if (shape.activity) allowed.push("activityId");
  if (shape.agent) allowed.push("agent");
  if (shape.registration) allowed.push("registration");
  if (method === "GET") allowed.push("since");
  for (const name of Object.keys(params)) {
    if (!allowed.includes(name)) throw badRequest(`unknown parameter ${name} for ${where}`);
  }

  const missing: string[] = [];
  if (shape.activity && params.activityId === undefined) missing.push("activityId");
  if (shape.agent && params.agent === undefined) missing.push("agent");
  // Only GET (ids) and a State DELETE (all states) may leave the document id out.
  const idOptional = method === "GET" || (method === "DELETE" && kind === "state");
  if (!idOptional && params[shape.idName] === undefined) missing.push(shape.idName);
  if (missing.length > 0) {
    throw badRequest(`${where} needs the parameter${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`);
  }

  const request: DocumentRequest = {
    kind,
    activityId: "",
    agent: "",
    registration: "",
    hasRegistration: false,
  };
  if (shape.activity) {
    const id = params.activityId as string;
    if (!isIri(id)) throw badRequest(`parameter activityId must be an IRI, not '${id}'`);
    request.activityId = id;
  }
  if (shape.agent) request.agent = agentParam(params.agent as string, version);
  if (params.registration !== undefined) {
    if (!isUuid(params.registration)) {
      throw badRequest(`parameter registration must be a UUID, not '${params.registration}'`);
    }
    request.registration = params.registration.toLowerCase();
    request.hasRegistration = true;
  }
  const docId = params[shape.idName];
  if (docId !== undefined) {
    if (docId === "") throw badRequest(`parameter ${shape.idName} must not be empty`);
    request.docId = docId;
  }
  if (params.since !== undefined) {
    const ms = parseTimestamp(params.since);
    if (ms === undefined)
      throw badRequest(`parameter since must be an ISO 8601 timestamp, not '${params.since}'`);
    // Checked even beside a document id, where it has no effect (the specification leaves it unused there).
    request.since = new Date(ms).toISOString();
  }
  return request;
}
