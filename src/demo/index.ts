/**
 * Demo: the demonstration data space `learnpool demo` builds. This module owns the generated data —
 * a seeded population of learners (minors with guardians among them), their enrolments at several
 * providers with overlaps, engagement that fades before dropout, assessments and skills — and each
 * provider's native files in its own format (xAPI, Open edX tracking log, Moodle log rows, CSV exports
 * with mapping files), with rosters, skills frameworks and the ground truth for evaluating linkage.
 * Generation is pure; `writeDataSpace` writes the files to a folder.
 *
 * It also owns the demonstration's run (`run/`): the plan (participants, offers, the agreement, the
 * de-identification profile, build and job specs, each learner's consent choice; pure), `runDemo`,
 * which drives every other module's public entry through the whole path in one folder (reused when
 * finished, made afresh otherwise), the figures it reports, and the sign-ins of the served demonstration.
 */

export * from "./generate/index.js";
export * from "./run/index.js";
