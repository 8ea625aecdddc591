/**
 * The privacy notice shown before consent (pure): generated from the agreement that asks for the data,
 * in French or English, for an adult learner, for the guardian of a minor, or in plain words for a
 * young learner. It says who the controllers and recipients are, the purposes in plain words, the
 * data categories, how long and where the data are kept, how they are protected, the learner's rights
 * (access, rectification, erasure, withdrawal, complaint to the supervisory authority), whom to
 * contact, and how to withdraw (one click, like consenting).
 *
 * A notice is a JSON object; its digest is SHA-256 over its RFC 8785 canonical form without `id` and
 * `digest`, and its id is a UUID made from that digest: the same agreement and options always give the
 * same notice, id and digest, which anyone can recompute (`verifyNotice`). The consent record
 * references both.
 */
import { createHash } from "node:crypto";
import {
  type Agreement,
  type ConstraintNode,
  DPV,
  dueDateOf,
  ODRL,
  type Policy,
  policyOfDocument,
  type Rule,
} from "../contract/index.js";
import {
  CATEGORY_WORDS,
  LP_PURPOSE_WORDS,
  NOTICE_LANGUAGES,
  type NoticeLanguage,
  PURPOSE_WORDS,
  type Words,
} from "./notices-labels.js";

export {
  CATEGORY_WORDS,
  LP_PURPOSE_WORDS,
  NOTICE_LANGUAGES,
  type NoticeLanguage,
  PURPOSE_WORDS,
} from "./notices-labels.js";

import { canonicalJson } from "../contract/index.js";

const DPV_PD = "https://w3id.org/dpv/pd#";
const LP_ODRL = "https://w3id.org/learnpool/odrl/";

/** Who reads the notice: an adult learner, a minor's guardian, or a minor (plain words). */
export type NoticeAudience = "learner" | "guardian" | "young-learner";
export const NOTICE_AUDIENCES: readonly NoticeAudience[] = ["learner", "guardian", "young-learner"];

export class NoticeError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "NoticeError";
  }
}

/** What the notice needs of the agreement (the contract module's `Agreement` satisfies it). */
export type NoticeAgreement = Pick<
  Agreement,
  "id" | "digest" | "parties" | "notBefore" | "notAfter" | "linkageDomain" | "deidentificationProfile"
> & { document: Pick<Agreement["document"], "id" | "policy"> };

/** A participant as the notice names it (the contract module's `Participant` satisfies it). */
export interface NoticeParticipant {
  id: string;
  title: string;
  iri: string;
}

export interface NoticeOptions {
  language: NoticeLanguage;
  /** Default `learner`. */
  audience?: NoticeAudience;
  /** DPV `pd:` categories the agreement's datasets carry: IRIs, `pd:X` or local names. */
  dataCategories: readonly string[];
  /** ISO 3166-1 alpha-2 of the jurisdiction whose law applies; default FR. */
  jurisdiction?: string;
  /** Where the pooled data are stored, in words; default: derived from the agreement's spatial constraints. */
  storageLocation?: string;
  /** Whom to write to about this processing (the data protection officer); default the operator. */
  contact?: { name: string; email?: string; url?: string };
  /** Where the learner manages consent (the portal); when absent the notice says "the portal". */
  portalUrl?: string;
  /** Age of digital consent; default by jurisdiction (FR 15, otherwise 16). */
  ageOfConsent?: number;
}

export interface NoticeParty {
  participant: string;
  iri: string;
  name: string;
}
export interface NoticeTerm {
  iri: string;
  label: string;
  description: string;
}
export interface NoticeSection {
  key:
    | "controllers"
    | "recipients"
    | "purposes"
    | "data"
    | "protection"
    | "retention"
    | "storage"
    | "legal-basis"
    | "rights"
    | "withdrawal"
    | "contact"
    | "guardian";
  heading: string;
  paragraphs: string[];
  items: string[];
}

/** The notice without its id and digest: what is hashed. */
export interface NoticeContent {
  type: "LearnpoolConsentNotice";
  version: 1;
  language: NoticeLanguage;
  audience: NoticeAudience;
  agreement: { id: string; digest: string };
  title: string;
  /** The providers: they decide, each for its own learners, to share their data (GDPR art. 4(7)). */
  controllers: NoticeParty[];
  /** The consumer: who receives the data. */
  recipients: NoticeParty[];
  /** The operator of the environment where data are pooled, on behalf of the parties. */
  operator: NoticeParty | null;
  purposes: NoticeTerm[];
  dataCategories: NoticeTerm[];
  /** Special categories (GDPR art. 9) among them: explicit consent. */
  specialCategories: string[];
  legalBasis: string;
  retention: { until: string; basis: "agreement-end" | "deletion-duty" };
  storage: { location: string; regions: string[] };
  protection: { linkageDomain: string | null; deidentificationProfile: string | null };
  jurisdiction: string;
  ageOfConsent: number;
  supervisoryAuthority: { name: string; url: string };
  contact: { name: string; email: string | null; url: string | null };
  withdrawal: { method: "portal"; url: string | null };
  sections: NoticeSection[];
}

export interface Notice extends NoticeContent {
  /** urn:uuid made from the digest. */
  id: string;
  /** SHA-256 (hex) of the RFC 8785 form of the content. */
  digest: string;
}

// ------------------------------------------------------------------ reading the agreement

const PURPOSE_OPERATORS = new Set(["eq", "isA", "isAnyOf", "isAllOf", "isPartOf"].map((o) => ODRL + o));

function collect(nodes: readonly ConstraintNode[], leftOperand: string, into: Set<string>) {
  for (const node of nodes) {
    if (node.kind === "logical") collect(node.constraints, leftOperand, into);
    else if (node.leftOperand === leftOperand && PURPOSE_OPERATORS.has(node.operator))
      for (const term of node.rightOperand) if (term.kind === "iri") into.add(term.value);
  }
}

function permissionsOf(policy: Policy): Rule[] {
  return policy.permissions;
}

/** The purposes an agreement's permissions are constrained to (DPV IRIs), in the order first met. */
export function purposesOf(policy: Policy): string[] {
  const out = new Set<string>();
  for (const p of permissionsOf(policy)) collect([...p.constraints, ...p.refinements], `${ODRL}purpose`, out);
  return [...out];
}

/** The regions (ISO codes or lp:EU / lp:EEA) the permissions are constrained to. */
export function regionsOf(policy: Policy): string[] {
  const out = new Set<string>();
  for (const p of permissionsOf(policy)) collect(p.constraints, `${ODRL}spatial`, out);
  return [...out].map((r) => {
    if (r.startsWith(LP_ODRL)) return r.slice(LP_ODRL.length);
    const m = /(?:^|[:/#])([A-Za-z]{2})$/.exec(r);
    return m ? m[1]!.toUpperCase() : r;
  });
}

/** The earliest due date of the agreement's deletion duties, when one is set. */
export function deletionDueOf(policy: Policy): string | undefined {
  let due: string | undefined;
  const walk = (rule: Rule) => {
    if (rule.actions.includes(`${ODRL}delete`)) {
      const d = dueDateOf(rule.constraints);
      if (d && (!due || d < due)) due = d;
    }
    for (const r of [...rule.duties, ...rule.consequences, ...rule.remedies]) walk(r);
  };
  for (const r of [...policy.permissions, ...policy.obligations]) walk(r);
  return due;
}

function localName(
  iri: string,
  namespace: string,
  table: Readonly<Record<string, unknown>>,
): string | undefined {
  const t = iri.trim();
  const local = t.startsWith(namespace)
    ? t.slice(namespace.length)
    : /^(dpv|pd|dpv-pd):/.test(t)
      ? t.slice(t.indexOf(":") + 1)
      : t.startsWith("https://w3id.org/dpv/2.0/pd#")
        ? t.slice("https://w3id.org/dpv/2.0/pd#".length)
        : t;
  return Object.hasOwn(table, local) ? local : undefined;
}

/** Words of a purpose, or undefined when Learnpool has none for it. */
export function purposeWords(iri: string, language: NoticeLanguage): Words | undefined {
  const t = iri.trim();
  const lp = t.startsWith(LP_ODRL) ? t.slice(LP_ODRL.length) : t.startsWith("lp:") ? t.slice(3) : undefined;
  if (lp !== undefined)
    return Object.hasOwn(LP_PURPOSE_WORDS, lp) ? LP_PURPOSE_WORDS[lp]![language] : undefined;
  const local = localName(iri, DPV, PURPOSE_WORDS);
  return local === undefined ? undefined : PURPOSE_WORDS[local]![language];
}

/** Words of a personal-data category, or undefined when Learnpool has none for it. */
export function categoryWords(iri: string, language: NoticeLanguage): Words | undefined {
  const local = localName(iri, DPV_PD, CATEGORY_WORDS);
  return local === undefined ? undefined : CATEGORY_WORDS[local]![language];
}

// ------------------------------------------------------------------ the words of each section

const AUTHORITIES: Record<string, { name: string; url: string }> = {
  FR: { name: "CNIL", url: "https://www.cnil.fr/fr/adresser-une-plainte" },
  BE: { name: "Autorité de protection des données", url: "https://www.autoriteprotectiondonnees.be" },
  LU: { name: "CNPD", url: "https://cnpd.public.lu" },
  DE: { name: "BfDI", url: "https://www.bfdi.bund.de" },
  IE: { name: "Data Protection Commission", url: "https://www.dataprotection.ie" },
};
const OTHER_AUTHORITY = {
  name: "the data protection authority of your country",
  url: "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en",
};
/** Age of digital consent (GDPR art. 8) by jurisdiction; 16 where the law sets no other. */
const AGE_OF_CONSENT: Record<string, number> = { FR: 15, BE: 13, DE: 16, IE: 16, ES: 14, IT: 14, LU: 16 };

const COUNTRY_WORDS: Record<NoticeLanguage, Record<string, string>> = {
  en: { EU: "the European Union", EEA: "the European Economic Area", FR: "France" },
  fr: { EU: "l'Union européenne", EEA: "l'Espace économique européen", FR: "France" },
};

interface Facts {
  a: NoticeAgreement;
  controllers: NoticeParty[];
  recipients: NoticeParty[];
  operator: NoticeParty | null;
  purposes: NoticeTerm[];
  categories: NoticeTerm[];
  special: string[];
  until: string;
  basis: "agreement-end" | "deletion-duty";
  storage: string;
  authority: { name: string; url: string };
  contact: { name: string; email: string | null; url: string | null };
  portal: string | null;
  age: number;
}

const names = (parties: NoticeParty[]) => parties.map((p) => p.name);
const day = (iso: string, language: NoticeLanguage) =>
  new Date(iso).toLocaleDateString(language === "fr" ? "fr-FR" : "en-GB", {
    year: "numeric",
    month: "long",
    day: "numeric",
    timeZone: "UTC",
  });
const list = (items: string[], language: NoticeLanguage) => {
  if (items.length <= 1) return items.join("");
  const and = language === "fr" ? " et " : " and ";
  return `${items.slice(0, -1).join(", ")}${and}${items.at(-1)}`;
};

type Texts = (f: Facts, language: NoticeLanguage) => Omit<NoticeSection, "items"> & { items?: string[] };
type SectionWords = Record<NoticeSection["key"], Texts | undefined> & { title: (f: Facts) => string };

function contactLine(f: Facts, language: NoticeLanguage): string {
  const via = [f.contact.email, f.contact.url].filter((x): x is string => !!x);
  return via.length > 0 ? `${f.contact.name} (${via.join(language === "fr" ? ", " : ", ")})` : f.contact.name;
}
const portal = (f: Facts, language: NoticeLanguage) =>
  f.portal ?? (language === "fr" ? "le portail de consentement" : "the consent portal");

/** Adult learner, English. */
const EN_LEARNER: SectionWords = {
  title: (f) => `How ${list(names(f.recipients), "en")} would like to use your learning data`,
  controllers: (f) => ({
    key: "controllers",
    heading: "Who is responsible",
    paragraphs: [
      `${list(names(f.controllers), "en")} hold${f.controllers.length === 1 ? "s" : ""} your learning records and decide${f.controllers.length === 1 ? "s" : ""}, with your agreement, to share them. ${f.operator ? `${f.operator.name} runs the secure environment where the data are pooled, on their behalf.` : ""}`.trim(),
    ],
  }),
  recipients: (f) => ({
    key: "recipients",
    heading: "Who receives your data",
    paragraphs: [
      `${list(names(f.recipients), "en")} will use the data, only inside the secure environment and only for the purposes below. No one else receives them.`,
    ],
  }),
  purposes: () => ({
    key: "purposes",
    heading: "What for",
    paragraphs: ["You may agree to each purpose separately:"],
  }),
  data: (f) => ({
    key: "data",
    heading: "Which data",
    paragraphs: f.special.length
      ? ["Some of these data are sensitive: they are used only with your explicit consent."]
      : [],
  }),
  protection: (f) => ({
    key: "protection",
    heading: "How your data are protected",
    paragraphs: [
      "Your name and identifiers are replaced by a pseudonym before anything leaves your institution; the recipients never learn who you are." +
        (f.a.deidentificationProfile
          ? ` The records are de-identified under the profile '${f.a.deidentificationProfile}'.`
          : ""),
    ],
  }),
  retention: (f) => ({
    key: "retention",
    heading: "How long",
    paragraphs: [
      `The data are kept until ${day(f.until, "en")} at the latest, then deleted${f.basis === "deletion-duty" ? " as the agreement requires" : ", when the agreement ends"}.`,
    ],
  }),
  storage: (f) => ({
    key: "storage",
    heading: "Where",
    paragraphs: [`The data are stored and processed in ${f.storage}.`],
  }),
  "legal-basis": (f) => ({
    key: "legal-basis",
    heading: "On what basis",
    paragraphs: [
      `Your consent (GDPR article 6(1)(a)${f.special.length ? " and, for sensitive data, article 9(2)(a)" : ""}). Saying no has no consequence for your studies.`,
    ],
  }),
  rights: (f) => ({
    key: "rights",
    heading: "Your rights",
    paragraphs: [],
    items: [
      "See the data about you and the history of your choices, and get a copy (access).",
      "Have inaccurate data corrected (rectification).",
      "Have your data erased (erasure).",
      "Withdraw your consent at any time, for one purpose or all of them.",
      `Complain to the supervisory authority, ${f.authority.name} (${f.authority.url}).`,
    ],
  }),
  withdrawal: (f) => ({
    key: "withdrawal",
    heading: "How to withdraw",
    paragraphs: [
      `In ${portal(f, "en")}, with one click, as easily as you agreed. From that moment your data are left out of every new dataset, and the recipients are told to delete what they hold. What was done before remains lawful.`,
    ],
  }),
  contact: (f) => ({ key: "contact", heading: "Contact", paragraphs: [`Write to ${contactLine(f, "en")}.`] }),
  guardian: undefined,
};

/** Adult learner, French. */
const FR_LEARNER: SectionWords = {
  title: (f) => `Comment ${list(names(f.recipients), "fr")} souhaite utiliser vos données d'apprentissage`,
  controllers: (f) => ({
    key: "controllers",
    heading: "Qui est responsable",
    paragraphs: [
      `${list(names(f.controllers), "fr")} ${f.controllers.length === 1 ? "détient" : "détiennent"} vos traces d'apprentissage et ${f.controllers.length === 1 ? "décide" : "décident"}, avec votre accord, de les partager. ${f.operator ? `${f.operator.name} opère, pour leur compte, l'environnement sécurisé où les données sont mises en commun.` : ""}`.trim(),
    ],
  }),
  recipients: (f) => ({
    key: "recipients",
    heading: "Qui reçoit vos données",
    paragraphs: [
      `${list(names(f.recipients), "fr")} utilisera les données, uniquement dans l'environnement sécurisé et uniquement pour les finalités ci-dessous. Personne d'autre ne les reçoit.`,
    ],
  }),
  purposes: () => ({
    key: "purposes",
    heading: "Pour quoi faire",
    paragraphs: ["Vous pouvez accepter chaque finalité séparément :"],
  }),
  data: (f) => ({
    key: "data",
    heading: "Quelles données",
    paragraphs: f.special.length
      ? [
          "Certaines de ces données sont sensibles : elles ne sont utilisées qu'avec votre consentement explicite.",
        ]
      : [],
  }),
  protection: (f) => ({
    key: "protection",
    heading: "Comment vos données sont protégées",
    paragraphs: [
      "Vos nom et identifiants sont remplacés par un pseudonyme avant que quoi que ce soit ne quitte votre établissement ; les destinataires ne savent jamais qui vous êtes." +
        (f.a.deidentificationProfile
          ? ` Les traces sont désidentifiées selon le profil « ${f.a.deidentificationProfile} ».`
          : ""),
    ],
  }),
  retention: (f) => ({
    key: "retention",
    heading: "Combien de temps",
    paragraphs: [
      `Les données sont conservées jusqu'au ${day(f.until, "fr")} au plus tard, puis supprimées${f.basis === "deletion-duty" ? " comme l'exige l'accord" : ", à la fin de l'accord"}.`,
    ],
  }),
  storage: (f) => ({
    key: "storage",
    heading: "Où",
    paragraphs: [`Les données sont stockées et traitées en ${f.storage}.`],
  }),
  "legal-basis": (f) => ({
    key: "legal-basis",
    heading: "Sur quelle base",
    paragraphs: [
      `Votre consentement (article 6.1.a du RGPD${f.special.length ? " et, pour les données sensibles, article 9.2.a" : ""}). Refuser n'a aucune conséquence sur votre scolarité.`,
    ],
  }),
  rights: (f) => ({
    key: "rights",
    heading: "Vos droits",
    paragraphs: [],
    items: [
      "Consulter les données qui vous concernent et l'historique de vos choix, et en obtenir une copie (accès).",
      "Faire corriger des données inexactes (rectification).",
      "Faire effacer vos données (effacement).",
      "Retirer votre consentement à tout moment, pour une finalité ou pour toutes.",
      `Adresser une réclamation à l'autorité de contrôle, la ${f.authority.name} (${f.authority.url}).`,
    ],
  }),
  withdrawal: (f) => ({
    key: "withdrawal",
    heading: "Comment retirer votre consentement",
    paragraphs: [
      `Dans ${portal(f, "fr")}, en un clic, aussi simplement que vous l'avez donné. Dès ce moment vos données sont exclues de tout nouveau jeu de données, et les destinataires sont prévenus de supprimer ce qu'ils détiennent. Ce qui a été fait avant reste licite.`,
    ],
  }),
  contact: (f) => ({
    key: "contact",
    heading: "Contact",
    paragraphs: [`Écrivez à ${contactLine(f, "fr")}.`],
  }),
  guardian: undefined,
};

/** The guardian's version: the same facts, addressed about "your child", with the joint-consent rule. */
function guardianWords(base: SectionWords, language: NoticeLanguage): SectionWords {
  const fr = language === "fr";
  const swap = (text: string) =>
    fr
      ? text
          .replace(/\bvos données\b/g, "les données de votre enfant")
          .replace(/\bvos traces\b/g, "les traces de votre enfant")
          .replace(/\bVos nom et identifiants\b/g, "Les nom et identifiants de votre enfant")
          .replace(/\bvotre établissement\b/g, "son établissement")
          .replace(/\bqui vous êtes\b/g, "qui il ou elle est")
          .replace(/\bvotre scolarité\b/g, "sa scolarité")
          .replace(/\bvotre consentement\b/gi, (m) => (m[0] === "V" ? "Le consentement" : "le consentement"))
          .replace(/\bvous concernent\b/g, "concernent votre enfant")
          .replace(/\bvotre accord\b/g, "votre accord et celui de votre enfant")
      : text
          .replace(/\byour learning data\b/g, "your child's learning data")
          .replace(/\byour learning records\b/g, "your child's learning records")
          .replace(/\bYour name and identifiers\b/g, "Your child's name and identifiers")
          .replace(/\byour institution\b/g, "their institution")
          .replace(/\bwho you are\b/g, "who your child is")
          .replace(/\byour studies\b/g, "your child's studies")
          .replace(/\byour data\b/gi, (m) => (m[0] === "Y" ? "Your child's data" : "your child's data"))
          .replace(/\bYour consent\b/g, "Your consent and your child's")
          .replace(/\babout you\b/g, "about your child")
          .replace(/\byour agreement\b/g, "your agreement and your child's");
  const out = { ...base } as SectionWords;
  for (const key of Object.keys(base) as Array<keyof SectionWords>) {
    if (key === "title") out.title = (f) => swap(base.title(f));
    else {
      const texts = base[key];
      if (texts)
        out[key] = (f, l) => {
          const s = texts(f, l);
          return { ...s, paragraphs: s.paragraphs.map(swap), ...(s.items && { items: s.items.map(swap) }) };
        };
    }
  }
  out.guardian = (f) => ({
    key: "guardian",
    heading: fr ? "Pourquoi vous aussi" : "Why you too",
    paragraphs: [
      fr
        ? `Votre enfant a moins de ${f.age} ans : son consentement n'est valable qu'avec le vôtre. Vous et votre enfant devez tous deux accepter chaque finalité ; chacun de vous peut retirer son accord à tout moment. À ${f.age} ans, votre enfant sera invité à décider seul.`
        : `Your child is under ${f.age}: their consent is valid only together with yours. You and your child must both agree to each purpose; either of you may withdraw at any time. At ${f.age}, your child will be asked to decide alone.`,
    ],
  });
  return out;
}

/** Plain words for a young learner ("tu" in French). */
const YOUNG: Record<NoticeLanguage, SectionWords> = {
  en: {
    title: (f) => `${list(names(f.recipients), "en")} would like to use what you do when you learn`,
    controllers: (f) => ({
      key: "controllers",
      heading: "Who is asking",
      paragraphs: [
        `${list(names(f.controllers), "en")} keep${f.controllers.length === 1 ? "s" : ""} a record of your learning activities. They want to share it, but only if you say yes.`,
      ],
    }),
    recipients: (f) => ({
      key: "recipients",
      heading: "Who gets it",
      paragraphs: [`${list(names(f.recipients), "en")}. Nobody else.`],
    }),
    purposes: () => ({
      key: "purposes",
      heading: "What for",
      paragraphs: ["You can say yes or no to each one:"],
    }),
    data: () => ({ key: "data", heading: "What they would see", paragraphs: [] }),
    protection: () => ({
      key: "protection",
      heading: "Your name stays secret",
      paragraphs: ["Your name is replaced by a code before anything is shared. They never know it is you."],
    }),
    retention: (f) => ({
      key: "retention",
      heading: "For how long",
      paragraphs: [`Until ${day(f.until, "en")} at the latest. Then it is deleted.`],
    }),
    storage: (f) => ({ key: "storage", heading: "Where", paragraphs: [`In ${f.storage}.`] }),
    "legal-basis": (f) => ({
      key: "legal-basis",
      heading: "You decide, with your parent",
      paragraphs: [
        `Because you are under ${f.age}, you and your parent or guardian must both say yes. Saying no is fine: nothing changes at school.`,
      ],
    }),
    rights: (f) => ({
      key: "rights",
      heading: "What you can do",
      paragraphs: [],
      items: [
        "Ask to see what they have about you.",
        "Ask to fix something that is wrong.",
        "Ask to delete it.",
        "Change your mind at any time.",
        `If something is wrong, you or your parent can complain to ${f.authority.name} (${f.authority.url}).`,
      ],
    }),
    withdrawal: (f) => ({
      key: "withdrawal",
      heading: "Changing your mind",
      paragraphs: [
        `Go to ${portal(f, "en")} and click once. It is as easy as saying yes. From then on, your data are no longer used.`,
      ],
    }),
    contact: (f) => ({ key: "contact", heading: "Questions?", paragraphs: [`Ask ${contactLine(f, "en")}.`] }),
    guardian: undefined,
  },
  fr: {
    title: (f) => `${list(names(f.recipients), "fr")} aimerait utiliser ce que tu fais quand tu apprends`,
    controllers: (f) => ({
      key: "controllers",
      heading: "Qui demande",
      paragraphs: [
        `${list(names(f.controllers), "fr")} ${f.controllers.length === 1 ? "garde" : "gardent"} une trace de tes activités d'apprentissage. Ils veulent la partager, mais seulement si tu es d'accord.`,
      ],
    }),
    recipients: (f) => ({
      key: "recipients",
      heading: "Qui la reçoit",
      paragraphs: [`${list(names(f.recipients), "fr")}. Personne d'autre.`],
    }),
    purposes: () => ({
      key: "purposes",
      heading: "Pour quoi faire",
      paragraphs: ["Tu peux dire oui ou non à chaque chose :"],
    }),
    data: () => ({ key: "data", heading: "Ce qu'ils verraient", paragraphs: [] }),
    protection: () => ({
      key: "protection",
      heading: "Ton nom reste secret",
      paragraphs: [
        "Ton nom est remplacé par un code avant tout partage. Ils ne savent jamais que c'est toi.",
      ],
    }),
    retention: (f) => ({
      key: "retention",
      heading: "Pendant combien de temps",
      paragraphs: [`Jusqu'au ${day(f.until, "fr")} au plus tard. Ensuite, tout est effacé.`],
    }),
    storage: (f) => ({ key: "storage", heading: "Où", paragraphs: [`En ${f.storage}.`] }),
    "legal-basis": (f) => ({
      key: "legal-basis",
      heading: "Tu décides, avec ton parent",
      paragraphs: [
        `Comme tu as moins de ${f.age} ans, toi et ton parent (ou tuteur) devez tous les deux dire oui. Tu as le droit de dire non : rien ne change à l'école.`,
      ],
    }),
    rights: (f) => ({
      key: "rights",
      heading: "Ce que tu peux faire",
      paragraphs: [],
      items: [
        "Demander à voir ce qu'ils ont sur toi.",
        "Demander de corriger ce qui est faux.",
        "Demander de tout effacer.",
        "Changer d'avis quand tu veux.",
        `Si quelque chose ne va pas, toi ou ton parent pouvez vous plaindre à la ${f.authority.name} (${f.authority.url}).`,
      ],
    }),
    withdrawal: (f) => ({
      key: "withdrawal",
      heading: "Changer d'avis",
      paragraphs: [
        `Va sur ${portal(f, "fr")} et clique une fois. C'est aussi simple que de dire oui. Ensuite, tes données ne sont plus utilisées.`,
      ],
    }),
    contact: (f) => ({
      key: "contact",
      heading: "Des questions ?",
      paragraphs: [`Demande à ${contactLine(f, "fr")}.`],
    }),
    guardian: undefined,
  },
};

function wordsFor(language: NoticeLanguage, audience: NoticeAudience): SectionWords {
  if (audience === "young-learner") return YOUNG[language];
  const base = language === "fr" ? FR_LEARNER : EN_LEARNER;
  return audience === "guardian" ? guardianWords(base, language) : base;
}

const ORDER: NoticeSection["key"][] = [
  "controllers",
  "recipients",
  "purposes",
  "data",
  "protection",
  "retention",
  "storage",
  "legal-basis",
  "guardian",
  "rights",
  "withdrawal",
  "contact",
];

// ------------------------------------------------------------------ building

function storageWords(regions: string[], language: NoticeLanguage, jurisdiction: string): string {
  const words = COUNTRY_WORDS[language];
  const named = regions.length > 0 ? regions : [jurisdiction === "FR" ? "FR" : "EU"];
  return list(
    named.map((r) => words[r] ?? r),
    language,
  );
}

/** The notice of an agreement, for one language and audience. Pure. */
export function buildNotice(
  agreement: NoticeAgreement,
  participants: ReadonlyMap<string, NoticeParticipant>,
  options: NoticeOptions,
): Notice {
  const language = options.language;
  if (!NOTICE_LANGUAGES.includes(language))
    throw new NoticeError(400, `a notice is in ${NOTICE_LANGUAGES.join(" or ")}, not '${String(language)}'`);
  const audience = options.audience ?? "learner";
  if (!NOTICE_AUDIENCES.includes(audience))
    throw new NoticeError(400, `the audience is ${NOTICE_AUDIENCES.join(", ")}, not '${String(audience)}'`);
  const policy = policyOfDocument(agreement.document);
  const party = (role: string): NoticeParty[] =>
    agreement.parties
      .filter((p) => p.role === role)
      .map((p) => {
        const who = participants.get(p.participant);
        return { participant: p.participant, iri: p.iri, name: who?.title ?? p.participant };
      });

  const purposeIris = purposesOf(policy);
  if (purposeIris.length === 0)
    throw new NoticeError(
      422,
      `agreement ${agreement.id} states no purpose (odrl:purpose constraint): there is nothing to consent to`,
    );
  const young = audience === "young-learner";
  const purposes = purposeIris.map((iri): NoticeTerm => {
    const words = purposeWords(iri, language);
    if (!words)
      throw new NoticeError(422, `purpose ${iri} has no words for a notice: it cannot be shown to a learner`);
    return { iri, label: words.label, description: young ? words.young : words.plain };
  });
  const categories = [...new Set(options.dataCategories)].map((term): NoticeTerm => {
    const local = localName(term, DPV_PD, CATEGORY_WORDS);
    if (!local) throw new NoticeError(422, `data category ${term} is not one a notice can name`);
    const words = CATEGORY_WORDS[local]![language];
    return { iri: DPV_PD + local, label: words.label, description: young ? words.young : words.plain };
  });
  if (categories.length === 0)
    throw new NoticeError(
      422,
      `no data category is known for agreement ${agreement.id}: a notice must name them`,
    );
  const special = categories.filter((c) => c.iri === `${DPV_PD}Disability`).map((c) => c.iri);

  const deletion = deletionDueOf(policy);
  const until = deletion && deletion < agreement.notAfter ? deletion : agreement.notAfter;
  const jurisdiction = (options.jurisdiction ?? "FR").toUpperCase();
  const regions = regionsOf(policy);
  const operator = party("operator")[0] ?? null;
  const contact = options.contact ?? {
    name: operator?.name ?? (language === "fr" ? "l'opérateur" : "the operator"),
  };
  const facts: Facts = {
    a: agreement,
    controllers: party("provider"),
    recipients: party("consumer"),
    operator,
    purposes,
    categories,
    special,
    until,
    basis: until === deletion ? "deletion-duty" : "agreement-end",
    storage: options.storageLocation ?? storageWords(regions, language, jurisdiction),
    authority: AUTHORITIES[jurisdiction] ?? OTHER_AUTHORITY,
    contact: { name: contact.name, email: contact.email ?? null, url: contact.url ?? null },
    portal: options.portalUrl ?? null,
    age: options.ageOfConsent ?? AGE_OF_CONSENT[jurisdiction] ?? 16,
  };

  const words = wordsFor(language, audience);
  const sections: NoticeSection[] = [];
  for (const key of ORDER) {
    const texts = words[key];
    if (!texts) continue;
    const s = texts(facts, language);
    const items =
      key === "purposes"
        ? purposes.map((p) => `${p.label}: ${p.description}`)
        : key === "data"
          ? categories.map((c) => `${c.label}: ${c.description}`)
          : key === "controllers"
            ? facts.controllers.map((c) => c.name)
            : (s.items ?? []);
    sections.push({ key, heading: s.heading, paragraphs: s.paragraphs.filter((p) => p !== ""), items });
  }

  const content: NoticeContent = {
    type: "LearnpoolConsentNotice",
    version: 1,
    language,
    audience,
    agreement: { id: agreement.id, digest: agreement.digest },
    title: words.title(facts),
    controllers: facts.controllers,
    recipients: facts.recipients,
    operator,
    purposes,
    dataCategories: categories,
    specialCategories: special,
    legalBasis: special.length ? `${DPV}ExplicitlyExpressedConsent` : `${DPV}Consent`,
    retention: { until, basis: facts.basis },
    storage: { location: facts.storage, regions },
    protection: {
      linkageDomain: agreement.linkageDomain ?? null,
      deidentificationProfile: agreement.deidentificationProfile ?? null,
    },
    jurisdiction,
    ageOfConsent: facts.age,
    supervisoryAuthority: facts.authority,
    contact: facts.contact,
    withdrawal: { method: "portal", url: facts.portal },
    sections,
  };
  return sealNotice(content);
}

/** The RFC 8785 canonical text of a notice's content (id and digest left out). */
export function canonicalNotice(notice: NoticeContent | Notice): string {
  const { id: _id, digest: _digest, ...content } = notice as Notice;
  return canonicalJson(content);
}

/** A UUID (version 8, RFC 9562 custom) from the first 128 bits of a hex digest. */
function uuidOfDigest(digest: string): string {
  const hex = digest.slice(0, 32).split("");
  hex[12] = "8";
  hex[16] = ((Number.parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  const h = hex.join("");
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** Adds the digest and id to a notice's content. */
export function sealNotice(content: NoticeContent): Notice {
  const digest = createHash("sha256").update(canonicalNotice(content), "utf8").digest("hex");
  return { id: uuidOfDigest(digest), digest, ...content };
}

/** Whether a notice's id and digest are those of its content (it was not altered). */
export function verifyNotice(notice: Notice): boolean {
  const digest = createHash("sha256").update(canonicalNotice(notice), "utf8").digest("hex");
  return digest === notice.digest && uuidOfDigest(digest) === notice.id;
}

// ------------------------------------------------------------------ rendering

/** Text safe both as Markdown and as HTML: HTML's special characters as entities, Markdown's escaped. */
export function safeText(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\\/g, "\\\\")
    .replace(/([`*_[\]{}#|!~])/g, "\\$1")
    .replace(/^(\s*)([-+]|\d+\.)(\s)/gm, "$1\\$2$3")
    .replace(/[\r\n]+/g, " ");
}

/** The notice as Markdown whose every piece of text is escaped (participants' titles included). */
export function noticeMarkdown(notice: Notice): string {
  const lines = [`# ${safeText(notice.title)}`, ""];
  for (const s of notice.sections) {
    lines.push(`## ${safeText(s.heading)}`, "");
    for (const p of s.paragraphs) lines.push(safeText(p), "");
    if (s.items.length > 0) {
      for (const item of s.items) lines.push(`- ${safeText(item)}`);
      lines.push("");
    }
  }
  const ref = notice.language === "fr" ? "Référence de cette information" : "Reference of this notice";
  lines.push(`---`, "", `${ref}: ${safeText(notice.id)} (SHA-256 ${notice.digest})`, "");
  return lines.join("\n");
}

/** The notice as an HTML fragment (every text escaped), for a portal page or an e-mail. */
export function noticeHtml(notice: Notice): string {
  const esc = (t: string) =>
    t
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  const parts = [
    `<article lang="${notice.language}" data-notice="${esc(notice.id)}">`,
    `<h1>${esc(notice.title)}</h1>`,
  ];
  for (const s of notice.sections) {
    parts.push(`<section data-key="${s.key}"><h2>${esc(s.heading)}</h2>`);
    for (const p of s.paragraphs) parts.push(`<p>${esc(p)}</p>`);
    if (s.items.length > 0) parts.push(`<ul>${s.items.map((i) => `<li>${esc(i)}</li>`).join("")}</ul>`);
    parts.push("</section>");
  }
  parts.push(`<footer><small>${esc(notice.id)} · SHA-256 ${notice.digest}</small></footer></article>`);
  return parts.join("\n");
}
