import type { Lrs } from "../../lrs/index.js";
import { documentResources } from "./documents.js";
import type { Resource } from "./http.js";
import { statementsResource } from "./statements.js";

/** Every xAPI resource, by its path under the xAPI base. */
export function xapiResources(lrs: Lrs): Record<string, Resource> {
  return {
    statements: statementsResource(lrs),
    ...documentResources(lrs),
  };
}
