/** Free-text scrubbing: each kind of identifier in French and English text, and the roster's names. */
import { describe, expect, it } from "vitest";
import { isValidNir, NameIndex, parseRoster, Scrubber } from "../../src/privacy/scrub.js";

const roster = parseRoster(
  "prénom;nom\nJean-Pierre;Martin\nÉlodie;Lefèvre\nAda;Lovelace\nMarie;De La Tour\n",
  "roster.csv",
);
const scrubber = new Scrubber(new NameIndex(roster));

describe("scrub", () => {
  it("replaces e-mail addresses, with or without mailto", () => {
    expect(scrubber.scrub("Écrivez à Ada.Lovelace+mooc@Example.org ou mailto:x_y@univ-lille.fr.")).toBe(
      "Écrivez à [email] ou mailto:[email].",
    );
  });

  it("replaces French phone numbers in national and international forms, and foreign numbers", () => {
    for (const phone of [
      "06 12 34 56 78",
      "06.12.34.56.78",
      "0612345678",
      "+33 6 12 34 56 78",
      "+33 (0)6 12 34 56 78",
      "0033612345678",
    ])
      expect(scrubber.scrub(`appelez le ${phone} svp`)).toBe("appelez le [phone] svp");
    expect(scrubber.scrub("call +44 20 7946 0958 or +1 (415) 555-2671")).toBe("call [phone] or [phone]");
  });

  it("keeps numbers that are not phones: scores, years, durations", () => {
    const text = "score 87.5 in 2021, 3 attempts, 12:30 on 29/11/2021";
    expect(scrubber.scrub(text)).toBe(text);
  });

  it("replaces user ids in URLs and keeps the rest of the URL", () => {
    expect(scrubber.scrub("voir https://lms.example.fr/user/view.php?id=4242&course=7")).toBe(
      "voir https://lms.example.fr/user/view.php?id=[user-id]&course=7",
    );
    expect(scrubber.scrub("https://forum.example.org/u/jdupont/activity and https://x.org/profile/77")).toBe(
      "https://forum.example.org/u/[user-id]/activity and https://x.org/profile/[user-id]",
    );
    expect(scrubber.scrub("https://x.org/page?uid=abc&user=bob")).toBe(
      "https://x.org/page?uid=[user-id]&user=[user-id]",
    );
    expect(scrubber.scrub("https://www.fun-mooc.fr/courses/abc/")).toBe(
      "https://www.fun-mooc.fr/courses/abc/",
    );
  });

  it("replaces IPv4 and IPv6 addresses, not version numbers or times", () => {
    expect(scrubber.scrub("from 192.168.1.20 and 2001:db8::8a2e:370:7334 and ::ffff:10.0.0.1")).toBe(
      "from [ip] and [ip] and [ip]",
    );
    expect(scrubber.scrub("version 1.0.3 at 23:09:00, not 999.1.1.1")).toBe(
      "version 1.0.3 at 23:09:00, not 999.1.1.1",
    );
  });

  it("replaces INEs and NIRs whose key is right, and leaves a NIR with a wrong key", () => {
    expect(scrubber.scrub("mon INE : 1234567890A.")).toBe("mon INE : [ine].");
    expect(scrubber.scrub("NIR 1 85 05 78 006 084 91 et 185057800608491")).toBe("NIR [nir] et [nir]");
    expect(scrubber.scrub("Corse 1 85 05 2A 006 084 35")).toBe("Corse [nir]");
    expect(isValidNir("1 85 05 78 006 084 92")).toBe(false);
    expect(scrubber.scrub("RESPONSABLE")).toBe("RESPONSABLE");
  });

  it("replaces the roster's names as whole words, any case or accents, multi-word names as one", () => {
    expect(scrubber.scrub("Merci jean pierre MARTIN et elodie lefevre !")).toBe("Merci [name] et [name] !");
    expect(scrubber.scrub("Lovelace, Ada a répondu à Marie de la Tour")).toBe(
      "[name], [name] a répondu à [name]",
    );
    expect(scrubber.scrub("d'Élodie")).toBe("d'[name]");
    expect(scrubber.scrub("Martinez et Adam")).toBe("Martinez et Adam");
  });

  it("counts each find by kind", () => {
    const counts = { email: 0, phone: 0, url: 0, ip: 0, ine: 0, nir: 0, name: 0 };
    scrubber.scrub("Ada (ada@example.org, 06 12 34 56 78)", counts);
    expect(counts).toEqual({ email: 1, phone: 1, url: 0, ip: 0, ine: 0, nir: 0, name: 1 });
  });

  it("matches many names at the cost of one lookup per word", () => {
    const many = Array.from({ length: 50_000 }, (_, i) => ({ given: `Prenom${i}`, family: `Nom${i}` }));
    const big = new Scrubber(new NameIndex(many));
    const text = "Bonjour Prenom49999 Nom49999, voici la réponse de Nom123 sur le forum. ".repeat(20);
    const started = performance.now();
    for (let i = 0; i < 200; i++) big.scrub(text);
    expect(big.scrub("Bonjour Prenom49999 Nom49999, et Nom123.")).toBe("Bonjour [name], et [name].");
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("reads rosters with English headers and commas, and refuses a header without names", () => {
    expect(parseRoster("first_name,last_name\nAda,Lovelace\n")).toEqual([
      { given: "Ada", family: "Lovelace" },
    ]);
    expect(() => parseRoster("email\nx@y.z\n", "staff.csv")).toThrow(/staff\.csv: the header needs/);
  });
});
