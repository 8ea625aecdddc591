import type { Lrs } from "../../lrs/index.js";
import { badRequest } from "../../lrs/index.js";
import {
  buildMultipartMixed,
  isUuid,
  type MultipartPart,
  parseAcceptLanguage,
  parseMultipartMixed,
} from "../../xapi/index.js";
import { allowOnly, decodeUtf8, json, mediaType, type Resource, type XapiRequest } from "./http.js";

/**
 * A POST/PUT body: application/json goes to the LRS as bytes (parsed off the event loop when large);
 * multipart/mixed is split here into the statement part and the attachment parts.
 */
function readStatementBody(request: XapiRequest): {
  json?: Uint8Array;
  body?: unknown;
  parts?: MultipartPart[];
} {
  const type = mediaType(request.headers["content-type"]);
  const raw = request.body ?? Buffer.alloc(0);
  if (type === "application/json") return { json: raw };
  if (type === "multipart/mixed") {
    let parts: MultipartPart[];
    try {
      parts = parseMultipartMixed(raw, request.headers["content-type"] ?? "");
    } catch (err) {
      throw badRequest(`multipart/mixed body: ${(err as Error).message}`);
    }
    const [first, ...rest] = parts;
    if (!first || mediaType(first.headers["content-type"]) !== "application/json") {
      throw badRequest("the first part of a multipart/mixed statement request must be application/json");
    }
    return { body: parseJson(decodeUtf8(first.body, "the statement part")), parts: rest };
  }
  throw badRequest(
    `statements are sent as application/json or multipart/mixed, not '${request.headers["content-type"] ?? "(none)"}'`,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`the body is not valid JSON: ${(err as Error).message}`);
  }
}

export function statementsResource(lrs: Lrs): Resource {
  return {
    async PUT(request) {
      allowOnly(request.params, ["statementId"], "PUT /statements");
      const id = request.params.statementId;
      if (id === undefined) throw badRequest("PUT /statements needs the statementId parameter");
      if (!isUuid(id)) throw badRequest(`parameter statementId must be a UUID, not '${id}'`);
      await lrs.storeStatements({
        principal: request.principal,
        version: request.version,
        ...readStatementBody(request),
        statementId: id,
      });
      return { status: 204 };
    },

    async POST(request) {
      allowOnly(request.params, [], "POST /statements");
      const ids = await lrs.storeStatements({
        principal: request.principal,
        version: request.version,
        ...readStatementBody(request),
      });
      return json(200, ids);
    },

    async GET(request) {
      const languages = parseAcceptLanguage(request.headers["accept-language"]);
      const query = lrs.parseStatementsRequest(request.params, request.version, languages);
      const result = await lrs.fetchStatements(request.principal, query, `${request.base}/statements`);
      const headers: Record<string, string> = {
        "x-experience-api-consistent-through": lrs.consistentThrough().toISOString(),
      };
      // ISO 8601 instants in UTC order as strings do.
      let newest = "";
      for (const s of result.statements) if (s.stored > newest) newest = s.stored;
      if (newest) headers["last-modified"] = new Date(newest).toUTCString();
      if (!query.attachments) return json(200, result.json, headers);
      const parts: { headers: Record<string, string>; body: Buffer | string }[] = [
        { headers: { "content-type": "application/json" }, body: result.json },
      ];
      for (const sha2 of result.attachmentHashes) {
        const file = await lrs.attachment(request.principal, sha2);
        if (!file) continue;
        parts.push({
          headers: {
            "content-type": file.contentType,
            "content-transfer-encoding": "binary",
            "x-experience-api-hash": sha2,
          },
          body: file.content,
        });
      }
      const multipart = buildMultipartMixed(parts);
      return {
        status: 200,
        headers: { ...headers, "content-type": multipart.contentType },
        body: multipart.body,
      };
    },
  };
}
