// The demonstration's plan, checked by the modules that will read it: the profile by privacy's
// parser, the build spec by pool's, the hierarchies by the risk check's loader, the agreement's draft
// against the offers; and the consent plan: one request per identity, the same choice for a person
// named two ways, reproducible.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  ATTRIBUTE_EXTENSIONS,
  agreementDraft,
  buildSpecText,
  CONSENT_SHARES,
  consentPlan,
  generateDataSpace,
  HIERARCHIES,
  jobSpecText,
  profileYaml,
  providerOffer,
} from "../../src/demo/index.js";
import { loadHierarchy, parseBuildSpec } from "../../src/pool/index.js";
import { normalizeIdentifier, parseProfile } from "../../src/privacy/index.js";
import { parseJobSpec } from "../../src/train/index.js";

const space = generateDataSpace({ learners: 200, seed: 5 });
const DOMAIN = "https://learnpool.example/domains/demo-dropout";

describe("the demonstration's plan", () => {
  const folder = mkdtempSync(join(tmpdir(), "learnpool-demo-plan-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("writes a profile privacy reads: INE and e-mail accounts normalized as such, the attributes kept", () => {
    const profile = parseProfile(parseYaml(profileYaml(DOMAIN, space.providers)), "profile.yaml");
    expect(profile.domain).toBe(DOMAIN);
    expect(profile.agents.accountKinds).toEqual({
      "https://ent.academie-exemple.example/ine": "ine",
      "https://www.lirelibre.example/ine": "ine",
      "https://mooc.savoirs-ouverts.example": "email",
    });
    expect(profile.agents.fields.authority).toBe("drop");
    expect(profile.extensions.context.has(ATTRIBUTE_EXTENSIONS.ageBand)).toBe(true);
    expect(profile.extensions.context.has(ATTRIBUTE_EXTENSIONS.region)).toBe(true);
  });

  it("writes a build spec and hierarchies pool reads, and a job spec train reads", () => {
    writeFileSync(join(folder, "profile.yaml"), profileYaml(DOMAIN, space.providers));
    for (const [name, text] of Object.entries(HIERARCHIES)) writeFileSync(join(folder, `${name}.csv`), text);
    const text = buildSpecText("urn:uuid:00000000-0000-4000-8000-000000000001", ["school", "mooc"], "out");
    const spec = parseBuildSpec(text, { source: "spec.yaml", baseDir: folder });
    expect(spec.providers).toEqual(["school", "mooc"]);
    expect(Object.keys(spec.attributes ?? {})).toEqual(["age_band", "region"]);
    // Every value the generator writes has its row, generalized in two steps to one value.
    for (const [name, attribute] of [
      ["age_band", "ageBand"],
      ["region", "region"],
    ] as const) {
      const hierarchy = loadHierarchy(join(folder, `${name}.csv`), name);
      const values = new Set(hierarchy.rows.map((r) => r[0]));
      for (const l of space.population.learners) expect(values.has(l[attribute]), l[attribute]).toBe(true);
      expect(new Set(hierarchy.rows.map((r) => r[2]))).toEqual(new Set(["*"]));
    }
    const job = parseJobSpec(jobSpecText("urn:uuid:00000000-0000-4000-8000-000000000002"));
    expect(job).toMatchObject({ label: "dropout", model: { kind: "logistic" }, groups: ["age_band"] });
  });

  it("drafts the agreement from the offers: every party, the linkage domain, the profile, a policy for the purpose", () => {
    const providers = space.providers.map((p) => p.provider);
    const draft = agreementDraft({
      providers,
      offers: providers.map((p) => providerOffer(p).uid as string),
      notBefore: "2026-01-01T00:00:00Z",
      notAfter: "2028-01-01T00:00:00Z",
    });
    expect(draft.parties.map((p) => p.role)).toEqual([
      "operator",
      ...providers.map(() => "provider"),
      "consumer",
    ]);
    expect(draft.offers).toHaveLength(6);
    expect(draft.linkageDomain).toBe("demo-dropout");
    expect(draft.deidentificationProfile).toBe("demo-dropout-research@1.0.0");
    expect(JSON.stringify(draft.policy)).toContain("dpv:AcademicResearch");
  });

  it("asks each identity once, gives a person one choice however named, and is reproducible", () => {
    const plan = consentPlan(space, 9);
    expect(consentPlan(space, 9)).toEqual(plan);
    expect(consentPlan(space, 10).map((e) => e.choice)).not.toEqual(plan.map((e) => e.choice));
    expect(new Set(plan.map((e) => e.identity)).size).toBe(plan.length);
    // Every roster entry's identity is asked, by the first provider that names it so.
    const identities = new Set(
      space.providers.flatMap((p) =>
        p.roster.map(
          (r) => `${p.identifier.kind}:${normalizeIdentifier(p.identifier.kind, r.identifier).value}`,
        ),
      ),
    );
    expect(new Set(plan.map((e) => e.identity))).toEqual(identities);
    const choices = new Map<string, Set<string>>();
    for (const e of plan) choices.set(e.learner, (choices.get(e.learner) ?? new Set()).add(e.choice));
    expect([...choices.values()].every((c) => c.size === 1)).toBe(true);
    expect(choices.size).toBe(new Set(space.providers.flatMap((p) => p.roster.map((r) => r.learner))).size);
    const share = (c: string) => plan.filter((e) => e.choice === c).length / plan.length;
    expect(Math.abs(share("refuse") - CONSENT_SHARES.refuse)).toBeLessThan(0.06);
    expect(Math.abs(share("withdraw") - CONSENT_SHARES.withdraw)).toBeLessThan(0.04);
    // Minors are asked with their birth year-month and their guardian; adults as adults.
    const minors = plan.filter((e) => "birthYearMonth" in e.age);
    expect(minors.length).toBeGreaterThan(0);
    expect(minors.every((e) => e.guardian?.email)).toBe(true);
    expect(plan.filter((e) => "adult" in e.age).every((e) => e.guardian === undefined)).toBe(true);
  });
});
