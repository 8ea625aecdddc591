import { describe, expect, it } from "vitest";
import { plainWords, words } from "../../src/web/client/odrl.js";
import { policy } from "../consent/notices-fixture.js";

describe("an agreement's ODRL in plain words (the console's French default)", () => {
  it("says each permission with its constraints and its duties", () => {
    expect(plainWords(policy(["dpv:TrainAIModel", "dpv:AcademicResearch"]))).toEqual([
      "Peut utiliser les données. Seulement si : la finalité est l'un de train AI model, academic research et le lieu est dans EU. En contrepartie : doit les supprimer quand la date est au plus 2030-06-30T00:00:00Z.",
    ]);
  });

  it("says prohibitions and logical constraints, and nothing for what is not a policy", () => {
    const said = plainWords({
      permission: {
        action: "derive",
        constraint: {
          or: [
            { leftOperand: "count", operator: "lteq", rightOperand: 3 },
            { leftOperand: "spatial", operator: "eq", rightOperand: "lp:EU" },
          ],
        },
      },
      prohibition: [{ action: { "rdf:value": { "@id": "odrl:distribute" } } }],
    });
    expect(said).toEqual([
      "Peut en dériver de nouvelles données. Seulement si : le nombre d'utilisations est au plus 3 ou le lieu est EU.",
      "Ne doit pas les transmettre.",
    ]);
    expect(plainWords(undefined)).toEqual([]);
    expect(words("https://w3id.org/dpv#AcademicResearch")).toBe("academic research");
    expect(words("P30D")).toBe("P30D");
  });
});
