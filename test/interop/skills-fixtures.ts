/** What the skills tests share: the fixture folder, the IRIs of its frameworks and concepts, and a reader. */
import { join } from "node:path";
import { type Framework, importFrameworkFiles } from "../../src/interop/skills/index.js";

export const FIXTURES = join(import.meta.dirname, "fixtures/skills");
export const ACME = "https://competences.acme-formation.fr/referentiel/";
export const ESCO_SCHEME = "http://data.europa.eu/esco/concept-scheme/skills";
export const ESCO = "http://data.europa.eu/esco/skill/";
export const TEAM = `${ESCO}7a2c1f0e-6d3b-4b43-9b3e-1a5f2d0e8c11`;
export const BUDGETS = `${ESCO}2b0d9e6c-3f51-4a8c-a4de-07c1b2e3f922`;
export const PYTHON = `${ESCO}ccd0a1d9-afda-43d9-b901-96344886e14d`;
export const PROJECTS = `${ESCO}f3a4b5c6-d7e8-4f9a-0b1c-2d3e4f5a6b99`;
export const SPREADSHEETS = `${ESCO}e2f3a4b5-c6d7-4e8f-9a0b-1c2d3e4f5a88`;
export const CUSTOMERS = `${ESCO}5d8f3c2a-9e1b-4f6d-8a7c-3b2e1d0f4a55`;
export const VEHICLES = `${ESCO}9e4a7b1c-2d3f-4e5a-8b6c-7d8e9f0a1b66`;
export const TLA = "https://w3id.org/xapi/tla/activity-types/competency";

/** The first framework imported from a file or folder of the fixtures. */
export async function fixtureFramework(name: string): Promise<Framework> {
  return (await importFrameworkFiles([join(FIXTURES, name)])).frameworks[0]!;
}
