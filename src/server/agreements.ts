/** HTTP wiring of the contract module's agreements: filled in by the part that builds it. */
import type { FastifyInstance } from "fastify";
import type { Lrs } from "../lrs/index.js";

export function registerAgreementRoutes(_app: FastifyInstance, _lrs: Lrs): void {}
