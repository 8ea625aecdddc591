import type { DocumentKind, Lrs } from "../../lrs/index.js";
import { json, type Resource, type XapiRequest } from "./http.js";

/** The concurrency headers of a request, as the document service reads them. */
function preconditions(request: XapiRequest) {
  return { ifMatch: request.headers["if-match"], ifNoneMatch: request.headers["if-none-match"] };
}

function documentResource(lrs: Lrs, kind: DocumentKind): Resource {
  const write = (request: XapiRequest) => ({
    ...preconditions(request),
    contentType: request.headers["content-type"],
    content: request.body ?? Buffer.alloc(0),
  });
  return {
    async GET(request) {
      const read = await lrs.documents.read(request.principal, kind, request.version, request.params);
      if (read.kind === "ids") return json(200, read.ids);
      const { document } = read;
      return {
        status: 200,
        headers: {
          "content-type": document.contentType,
          etag: document.etag,
          "last-modified": new Date(document.updated).toUTCString(),
        },
        body: document.content,
      };
    },
    async PUT(request) {
      const etag = await lrs.documents.put(
        request.principal,
        kind,
        request.version,
        request.params,
        write(request),
      );
      return { status: 204, headers: { etag } };
    },
    async POST(request) {
      const etag = await lrs.documents.post(
        request.principal,
        kind,
        request.version,
        request.params,
        write(request),
      );
      return { status: 204, headers: { etag } };
    },
    async DELETE(request) {
      await lrs.documents.remove(
        request.principal,
        kind,
        request.version,
        request.params,
        preconditions(request),
      );
      return { status: 204 };
    },
  };
}

/** State, Activity Profile, Agent Profile, Activities and Agents, by their path under the xAPI base. */
export function documentResources(lrs: Lrs): Record<string, Resource> {
  return {
    "activities/state": documentResource(lrs, "state"),
    "activities/profile": documentResource(lrs, "activityProfile"),
    "agents/profile": documentResource(lrs, "agentProfile"),
    activities: {
      async GET(request) {
        return json(200, await lrs.activities.get(request.principal, request.params));
      },
    },
    agents: {
      async GET(request) {
        return json(200, await lrs.agents.person(request.principal, request.version, request.params));
      },
    },
  };
}
