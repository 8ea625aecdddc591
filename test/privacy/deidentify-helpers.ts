/**
 * Test material for de-identification: a tiny HMAC pseudonymizer (the real keyed and OPRF ones keep
 * the same contract) and generated statements carrying e-mails, names, phones and INEs in every field
 * that can carry them.
 */
import { createHmac } from "node:crypto";
import { type Identifier, identifierText } from "../../src/privacy/identifiers.js";
import type { Pseudonymizer } from "../../src/privacy/pseudonymizer.js";

export function testPseudonymizer(domain: string, key = Buffer.alloc(32, 1)): Pseudonymizer {
  return {
    domain,
    async derive(ids: readonly Identifier[], purpose: string) {
      return new Map(
        ids.map((id) => [
          identifierText(id),
          createHmac("sha256", key)
            .update(`${domain}\u0000${purpose}\u0000${identifierText(id)}`)
            .digest(),
        ]),
      );
    },
  };
}

export interface Person {
  given: string;
  family: string;
  email: string;
  phone: string;
  ine: string;
}

export const PEOPLE: Person[] = [
  {
    given: "Élodie",
    family: "Lefèvre",
    email: "elodie.lefevre@lycee-exemple.fr",
    phone: "06 12 34 56 78",
    ine: "1234567890A",
  },
  {
    given: "Jean-Pierre",
    family: "Martin",
    email: "jp.martin@example.org",
    phone: "+33 7 98 76 54 32",
    ine: "0987654321B",
  },
  {
    given: "Ada",
    family: "Lovelace",
    email: "Ada.Lovelace@Example.com",
    phone: "+44 20 7946 0958",
    ine: "5678901234C",
  },
  {
    given: "Grace",
    family: "Hopper",
    email: "grace.hopper@univ-exemple.fr",
    phone: "01 23 45 67 89",
    ine: "4455667788D",
  },
  {
    given: "Alan",
    family: "Turing",
    email: "alan.turing@example.net",
    phone: "+33 6 55 44 33 22",
    ine: "9988776655E",
  },
];

const full = (p: Person) => `${p.given} ${p.family}`;
const text = (p: Person, q: Person) =>
  `${full(p)} écrit à ${full(q)} (${q.email}, tél. ${q.phone}, INE ${q.ine}) – call ${p.phone} or mail ${p.email}`;
const map = (value: string) => ({ "fr-FR": value, "en-US": value });
const SHA2 = "a".repeat(64);
const activity = (
  id: string,
  p: Person,
  q: Person,
  type = "http://id.tincanapi.com/activitytype/forum-reply",
) => ({
  objectType: "Activity",
  id,
  definition: {
    type,
    name: map(`Réponse de ${full(p)}`),
    description: map(text(p, q)),
    interactionType: "choice",
    choices: [{ id: "a", description: map(`${q.given} ${q.family}, ${q.email}`) }],
    moreInfo: `https://lms.example.fr/user/profile.php?id=${p.ine}`,
  },
});

export const IDS = {
  first: "0f8f6f2e-1d6c-4f0a-9a7e-1b2c3d4e5f60",
  ref: "5a0c2f1e-7b3d-4c8e-9f10-a1b2c3d4e5f6",
  registration: "d1c2b3a4-e5f6-4a7b-8c9d-0e1f2a3b4c5d",
};

/** Statements holding identifiers everywhere; `i` varies ids and times. */
export function generatedStatements(): Record<string, unknown>[] {
  const [a, b, c, d, e] = PEOPLE as [Person, Person, Person, Person, Person];
  const agent = (p: Person) => ({ objectType: "Agent", name: full(p), mbox: `mailto:${p.email}` });
  return [
    {
      id: IDS.first,
      actor: agent(a),
      verb: { id: "http://adlnet.gov/expapi/verbs/commented", display: { "fr-FR": "a commenté" } },
      object: activity("https://forum.example.fr/post/1", a, b),
      result: {
        response: text(a, c),
        success: true,
        extensions: {
          "https://example.org/xapi/extensions/comment": `voir ${c.email} ou https://forum.example.fr/u/${c.ine}/posts, ${full(b)}`,
          "https://example.org/xapi/extensions/attempt": 2,
          "https://example.org/xapi/extensions/private-note": `${full(d)} ${d.phone} ${d.email}`,
        },
      },
      context: {
        registration: IDS.registration,
        instructor: { name: full(d), account: { homePage: "https://lms.example.fr", name: d.email } },
        team: {
          objectType: "Group",
          name: `Équipe de ${full(b)}`,
          mbox: "mailto:equipe-b@lycee-exemple.fr",
          member: [
            { name: full(b), mbox: `mailto:${b.email}` },
            { name: full(c), openid: `https://openid.example.org/${c.ine}` },
            { name: full(e), mbox_sha1sum: "1f5e8d7c6b5a49382716f5e4d3c2b1a098765432" },
            { name: full(a), account: { homePage: "https://lms.example.fr", name: a.ine } },
          ],
        },
        contextAgents: [
          { objectType: "contextAgent", agent: agent(e), relevantTypes: ["https://example.org/types/tutor"] },
        ],
        contextGroups: [
          {
            objectType: "contextGroup",
            group: { objectType: "Group", name: `Classe de ${full(d)}`, member: [agent(c), agent(d)] },
          },
        ],
        contextActivities: { parent: [activity("https://forum.example.fr/thread/9", b, d)] },
        platform:
          "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        extensions: {
          "https://example.org/xapi/extensions/session": `session-of-${a.email}`,
          "https://example.org/xapi/extensions/device": {
            ip: "192.168.12.34",
            userAgent: "Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/121.0",
            geolocation: { latitude: 48.8566, longitude: 2.3522 },
            screen: "1920x1080",
            owner: `${full(e)} <${e.email}>`,
          },
          "https://matomo.example.org/extensions/cip": "2001:db8::8a2e:370:7334",
          "https://matomo.example.org/extensions/ua": "Mozilla/5.0",
          "https://matomo.example.org/extensions/lat": 48.85,
          "https://example.org/xapi/extensions/visitor": `${a.given} ${a.family} from 10.1.2.3, ${a.ine}`,
        },
      },
      timestamp: "2024-03-04T10:15:30.123456+01:00",
      authority: { objectType: "Agent", name: full(e), mbox: `mailto:${e.email}` },
      version: "2.0.0",
      attachments: [
        {
          usageType: "https://example.org/attachments/essay",
          display: map(`Essai de ${full(a)} (${a.email})`),
          description: map(`INE ${a.ine}, tél. ${a.phone}`),
          contentType: "text/plain",
          length: 120,
          sha2: SHA2,
          fileUrl: `https://files.example.fr/user/${a.ine}/essay.txt`,
        },
        {
          usageType: "http://adlnet.gov/expapi/attachments/signature",
          display: map("signature"),
          contentType: "application/octet-stream",
          length: 300,
          sha2: SHA2,
        },
      ],
    },
    {
      id: IDS.ref,
      actor: agent(b),
      verb: { id: "http://adlnet.gov/expapi/verbs/planned" },
      object: {
        objectType: "SubStatement",
        actor: { objectType: "Agent", name: full(c), mbox: `mailto:${c.email}` },
        verb: { id: "http://adlnet.gov/expapi/verbs/answered" },
        object: activity("https://forum.example.fr/post/2", c, a),
        result: { response: text(c, e) },
        context: {
          instructor: agent(d),
          extensions: { "https://example.org/xapi/extensions/private-note": a.phone },
        },
        timestamp: "2024-03-05T08:00:00Z",
      },
      context: { statement: { objectType: "StatementRef", id: IDS.first } },
      timestamp: "2024-03-04T10:20:30.123456+01:00",
    },
    {
      actor: agent(a),
      verb: { id: "http://adlnet.gov/expapi/verbs/voided" },
      object: { objectType: "StatementRef", id: IDS.first.toUpperCase() },
      timestamp: "2024-03-06T10:15:30.123456+01:00",
    },
    {
      actor: { objectType: "Agent", name: full(d), mbox: `MAILTO:${d.email.toUpperCase()}` },
      verb: { id: "http://id.tincanapi.com/verb/mentored" },
      object: { objectType: "Agent", name: full(a), mbox: `mailto:${a.email}` },
      timestamp: "2024-03-04T09:00:00Z",
    },
    {
      actor: { objectType: "Group", name: `Binôme ${a.family}–${b.family}`, member: [agent(a), agent(b)] },
      verb: { id: "http://adlnet.gov/expapi/verbs/completed" },
      object: { objectType: "Activity", id: "https://lms.example.fr/course/7" },
      result: { completion: true, response: `${a.given} et ${b.given} (${b.ine})` },
      timestamp: "2024-03-04T12:00:00Z",
    },
  ];
}
