/** Small lists the population draws from: French and English given and family names, French regions. */

export const GIVEN_NAMES = {
  F: [
    "Camille",
    "Léa",
    "Chloé",
    "Manon",
    "Inès",
    "Sarah",
    "Emma",
    "Jade",
    "Aïcha",
    "Zoé",
    "Louise",
    "Amélie",
    "Olivia",
    "Emily",
    "Grace",
    "Hannah",
    "Fatou",
    "Yasmine",
    "Clémence",
    "Nadia",
  ],
  M: [
    "Lucas",
    "Hugo",
    "Nathan",
    "Louis",
    "Gabriel",
    "Mathis",
    "Karim",
    "Thomas",
    "Théo",
    "Jules",
    "Noah",
    "Oliver",
    "James",
    "Samuel",
    "Mamadou",
    "Yanis",
    "Bastien",
    "Antoine",
    "Rayan",
    "Adam",
  ],
  X: ["Alex", "Charlie", "Sacha", "Camille", "Eden", "Noa"],
} as const;

export const FAMILY_NAMES = [
  "Martin",
  "Bernard",
  "Dubois",
  "Thomas",
  "Robert",
  "Richard",
  "Poirier",
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
  "Benali",
  "Nguyen",
  "Diallo",
  "Haddad",
  "Da Silva",
  "Le Gall",
  "Smith",
  "Jones",
  "Taylor",
  "Brown",
  "Williams",
  "Wilson",
  "O'Connor",
  "Müller",
  "Rossi",
  "Fontaine",
  "Chevalier",
  "Gauthier",
  "Perrin",
  "Morel",
] as const;

export const REGIONS = [
  "Auvergne-Rhône-Alpes",
  "Bourgogne-Franche-Comté",
  "Bretagne",
  "Centre-Val de Loire",
  "Grand Est",
  "Hauts-de-France",
  "Île-de-France",
  "Normandie",
  "Nouvelle-Aquitaine",
  "Occitanie",
  "Pays de la Loire",
  "Provence-Alpes-Côte d'Azur",
] as const;

/** Where people live is not uniform: Île-de-France weighs most (rough INSEE shares). */
export const REGION_WEIGHTS: readonly number[] = [12, 4, 5, 4, 8, 9, 18, 5, 9, 9, 6, 8];

/** Collèges (ages 11–14) and lycées (15–17). */
export const SCHOOLS = {
  college: ["Collège Jean Moulin", "Collège Victor Hugo", "Collège Simone Veil"],
  lycee: ["Lycée Marie Curie", "Lycée Jules Ferry"],
} as const;

/** Letters without accents and spaces, as e-mail local parts and usernames are written. */
export function ascii(text: string): string {
  return text
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^A-Za-z0-9]+/g, "")
    .toLowerCase();
}
