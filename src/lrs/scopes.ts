/** The xAPI OAuth scopes, which Learnpool's credentials carry whatever the authentication scheme. */
export const SCOPES = [
  "statements/write",
  "statements/read",
  "statements/read/mine",
  "state",
  "define",
  "profile",
  "all/read",
  "all",
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}

/** What a request needs: reading or writing one family of resources. */
export type Access =
  | "statements/write"
  | "statements/read"
  | "state/read"
  | "state/write"
  | "profile/read"
  | "profile/write"
  | "define"
  | "activities/read"
  | "agents/read";

/** Whether a set of scopes allows an access; `statements/read/mine` is handled by the query itself. */
export function allows(scopes: ReadonlySet<Scope>, access: Access): boolean {
  if (scopes.has("all")) return true;
  const read = access.endsWith("/read");
  if (read && scopes.has("all/read")) return true;
  switch (access) {
    case "statements/write":
      return scopes.has("statements/write");
    case "statements/read":
      return scopes.has("statements/read") || scopes.has("statements/read/mine");
    case "state/read":
    case "state/write":
      return scopes.has("state");
    case "profile/read":
    case "profile/write":
      return scopes.has("profile");
    case "define":
      return scopes.has("define");
    case "activities/read":
    case "agents/read":
      return scopes.has("profile") || scopes.has("define") || scopes.has("statements/read");
  }
}
