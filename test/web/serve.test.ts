import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleAssetsDir } from "../../src/web/index.js";
import { sqliteBackend } from "../helpers/databases.js";
import { type TestLrs, testLrs } from "../helpers/server.js";

describe("the server `learnpool serve` builds", () => {
  let t: TestLrs;
  beforeAll(async () => {
    t = await testLrs(sqliteBackend);
  });
  afterAll(async () => {
    await t?.close();
  });

  it("serves the console under /console/ from dist/console, or says how to build it", async () => {
    const page = await t.app.inject({ method: "GET", url: "/console/?portal=a.b.c" });
    if (existsSync(join(consoleAssetsDir(), "index.html"))) {
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('<script defer src="console.js"></script>');
      const script = await t.app.inject({ method: "GET", url: "/console/console.js" });
      expect(script.statusCode).toBe(200);
      expect(script.headers["content-type"]).toMatch(/javascript/);
    } else {
      expect(page.statusCode).toBe(503);
      expect(page.body).toMatch(/npm run build/);
    }
    // The rest of the API is untouched by the console's hook.
    expect((await t.app.inject({ method: "GET", url: "/contract/me" })).statusCode).toBe(401);
    expect((await t.app.inject({ method: "GET", url: "/consoles" })).statusCode).toBe(404);
  });
});
