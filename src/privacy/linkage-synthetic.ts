/**
 * Synthetic learner populations for testing and measuring fuzzy linkage: two providers' exports of
 * overlapping learners, the second one written differently (typos, missing fields, swapped given and
 * family names, other date and case conventions, accents dropped), with the true pairs. Deterministic
 * for a seed. Names are common French and English ones; no real person is described.
 */
import { seededRandom } from "./seeded.js";

const GIVEN = [
  "Léa",
  "Chloé",
  "Emma",
  "Manon",
  "Inès",
  "Zoé",
  "Camille",
  "Sarah",
  "Louise",
  "Jade",
  "Anaïs",
  "Éloïse",
  "Hélène",
  "Gaëlle",
  "Maëlys",
  "Océane",
  "Clémence",
  "Marie-Claire",
  "Anne-Sophie",
  "Noémie",
  "Fatima",
  "Amina",
  "Yasmine",
  "Aïcha",
  "Olivia",
  "Charlotte",
  "Emily",
  "Grace",
  "Lucas",
  "Hugo",
  "Louis",
  "Nathan",
  "Gabriel",
  "Jules",
  "Théo",
  "Raphaël",
  "Arthur",
  "Noël",
  "François",
  "Jérôme",
  "Benoît",
  "Loïc",
  "Jean-Marc",
  "Pierre-Louis",
  "Mohamed",
  "Karim",
  "Youssef",
  "Mamadou",
  "Thomas",
  "Oliver",
  "George",
  "Harry",
  "Jack",
  "William",
  "Mathis",
  "Enzo",
  "Maxime",
  "Antoine",
  "Baptiste",
  "Quentin",
  "Adèle",
  "Agathe",
  "Juliette",
  "Romane",
  "Lina",
  "Mila",
  "Rose",
  "Alice",
  "Victor",
  "Paul",
  "Adam",
  "Sacha",
  "Timothée",
  "Élodie",
  "Aurélien",
  "Cédric",
  "Ségolène",
  "Solène",
  "Maël",
  "Kylian",
];

const FAMILY = [
  "Martin",
  "Bernard",
  "Dubois",
  "Thomas",
  "Robert",
  "Richard",
  "Petit",
  "Durand",
  "Leroy",
  "Moreau",
  "Simon",
  "Laurent",
  "Lefèvre",
  "Michel",
  "Garcia",
  "David",
  "Bertrand",
  "Roux",
  "Vincent",
  "Fournier",
  "Morel",
  "Girard",
  "André",
  "Mercier",
  "Dupont",
  "Lambert",
  "Bonnet",
  "François",
  "Martínez",
  "Legrand",
  "Garnier",
  "Faure",
  "Rousseau",
  "Blanc",
  "Guérin",
  "Müller",
  "Henry",
  "Roussel",
  "Nicolas",
  "Perrin",
  "Mathieu",
  "Clément",
  "Gauthier",
  "Dumont",
  "Lopez",
  "Fontaine",
  "Chevalier",
  "Robin",
  "Masson",
  "N'Diaye",
  "Diallo",
  "Traoré",
  "Nguyen",
  "Benali",
  "Haddad",
  "Le Gall",
  "Le Goff",
  "Da Silva",
  "Saint-Martin",
  "O'Connor",
  "Smith",
  "Jones",
  "Williams",
  "Brown",
  "Taylor",
  "Davies",
  "Evans",
  "Wilson",
  "Johnson",
  "Walker",
  "Caron",
  "Bouvier",
  "Lemaître",
  "Brunet",
  "Schmitt",
  "Colin",
  "Vidal",
  "Barbier",
  "Boyer",
  "Lucas",
  "Meunier",
  "Jean",
  "Hoarau",
  "Payet",
  "Fabre",
  "Rolland",
  "Giraud",
  "Lacroix",
];

export interface SyntheticLearner {
  id: string;
  given_names: string;
  family_name: string;
  birth_date: string;
  postcode: string;
  gender: string;
}

export interface SyntheticLinkage {
  a: SyntheticLearner[];
  b: SyntheticLearner[];
  /** (A id, B id) of the learners present at both providers. */
  truth: [string, string][];
}

export interface SyntheticOptions {
  /** Learners at provider A (default 2,000). */
  size?: number;
  /** Share of A's learners also at B (default 0.8); B has as many others. */
  overlap?: number;
  seed?: number;
  /** Scales every corruption rate of B (default 1; 0 gives B the same values as A). */
  noise?: number;
}

interface Person {
  given: string;
  family: string;
  year: number;
  month: number;
  day: number;
  postcode: string;
  gender: "F" | "M";
}

const FEMININE = new Set(
  GIVEN.slice(0, 28).concat(["Adèle", "Agathe", "Juliette", "Romane", "Lina", "Mila"]),
);
const ALSO_FEMININE = ["Rose", "Alice", "Élodie", "Ségolène", "Solène"];

/** Two providers' exports of overlapping synthetic learners, and the true pairs. */
export function syntheticLinkage(options: SyntheticOptions = {}): SyntheticLinkage {
  const size = options.size ?? 2000;
  const overlap = options.overlap ?? 0.8;
  const noise = options.noise ?? 1;
  const random = seededRandom(options.seed ?? 42);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const chance = (p: number) => random() < p * noise;
  const shared = Math.round(size * overlap);
  const population = size + (size - shared);
  const people: Person[] = [];
  for (let k = 0; k < population; k++) {
    let given = pick(GIVEN);
    if (random() < 0.12) given = `${given} ${pick(GIVEN)}`;
    const department = String(1 + Math.floor(random() * 95)).padStart(2, "0");
    people.push({
      given,
      family: random() < 0.05 ? `${pick(FAMILY)}-${pick(FAMILY)}` : pick(FAMILY),
      year: 1990 + Math.floor(random() * 22),
      month: 1 + Math.floor(random() * 12),
      day: 1 + Math.floor(random() * 28),
      postcode: `${department}${String(Math.floor(random() * 1000)).padStart(3, "0")}`,
      gender: FEMININE.has(given.split(" ")[0]!) || ALSO_FEMININE.includes(given) ? "F" : "M",
    });
  }
  const iso = (p: Person) =>
    `${p.year}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
  const a: SyntheticLearner[] = people.slice(0, size).map((p, k) => ({
    id: `a${String(k + 1).padStart(6, "0")}`,
    given_names: p.given,
    family_name: p.family,
    birth_date: iso(p),
    postcode: p.postcode,
    gender: p.gender,
  }));

  const typo = (text: string): string => {
    const chars = Array.from(text);
    if (chars.length < 3) return text;
    const at = 1 + Math.floor(random() * (chars.length - 2));
    const op = random();
    if (op < 0.3) chars[at] = pick(Array.from("abcdefghijklmnopqrstuvwxyz"));
    else if (op < 0.55) chars.splice(at, 1);
    else if (op < 0.8) chars.splice(at, 0, pick(Array.from("aeiounrst")));
    else [chars[at - 1], chars[at]] = [chars[at]!, chars[at - 1]!];
    return chars.join("");
  };
  const stripAccents = (t: string) => t.normalize("NFD").replace(/\p{M}+/gu, "");

  // B: the shared learners (A's last `shared`) and others, in another order, written B's way.
  const members = [...people.slice(size - shared, size).map((p, k) => ({ p, aIndex: size - shared + k }))];
  for (const p of people.slice(size)) members.push({ p, aIndex: -1 });
  for (let k = members.length - 1; k > 0; k--) {
    const r = Math.floor(random() * (k + 1));
    [members[k], members[r]] = [members[r]!, members[k]!];
  }
  const truth: [string, string][] = [];
  const b: SyntheticLearner[] = members.map(({ p, aIndex }, k) => {
    const id = `b-${(k * 7919 + 13).toString(36)}`;
    if (aIndex >= 0) truth.push([a[aIndex]!.id, id]);
    let given = p.given;
    let family = p.family;
    if (chance(0.12)) given = typo(given);
    if (chance(0.12)) family = typo(family);
    if (chance(0.05)) given = given.split(" ")[0]!; // second given name dropped
    if (chance(0.1)) [given, family] = [stripAccents(given), stripAccents(family)];
    if (chance(0.08)) family = family.toUpperCase();
    if (chance(0.04)) given = given.replace(/-/g, " ");
    if (chance(0.04)) [given, family] = [family, given];
    let { year, month, day } = p;
    if (chance(0.04)) {
      if (day <= 12 && random() < 0.5) [day, month] = [month, day];
      else day = Math.min(28, Math.max(1, day + (random() < 0.5 ? -1 : 1)));
    }
    if (chance(0.01)) year += random() < 0.5 ? -1 : 1;
    const dayFirst = chance(0.5);
    const birth_date = dayFirst
      ? `${String(day).padStart(2, "0")}/${String(month).padStart(2, "0")}/${year}`
      : `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
    let postcode = p.postcode;
    if (chance(0.05))
      postcode = `${postcode.slice(0, 2)}${String(Math.floor(random() * 1000)).padStart(3, "0")}`;
    if (chance(0.08)) postcode = "";
    else if (chance(0.1)) postcode = `${postcode.slice(0, 2)} ${postcode.slice(2)}`;
    let gender: string = p.gender;
    if (chance(0.15)) gender = "";
    else if (chance(0.2)) gender = p.gender === "F" ? "Femme" : "Homme";
    if (chance(0.02)) given = "";
    return { id, given_names: given, family_name: family, birth_date, postcode, gender };
  });
  return { a, b, truth };
}

/** A population as CSV text (header first), quoting every field. */
export function learnersCsv(learners: readonly SyntheticLearner[]): string {
  const columns = ["id", "given_names", "family_name", "birth_date", "postcode", "gender"] as const;
  const quote = (v: string) => `"${v.replace(/"/g, '""')}"`;
  return (
    [columns.join(","), ...learners.map((l) => columns.map((c) => quote(l[c])).join(","))].join("\n") + "\n"
  );
}
