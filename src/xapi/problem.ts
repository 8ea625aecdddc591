/**
 * One reason a request, statement or document is refused: where (`path`, e.g. `statements[0].attachments[1]`
 * or `parts[2]`), which rule of the specification (`rule`, e.g. `XAPI-00132 (Communication 1.5.2.s2.b2.b3)`),
 * and a sentence a client developer can act on (`message`).
 */
export interface Problem {
  path: string;
  rule: string;
  message: string;
}
