/** HTTP wiring of the contract module's enforcement (decisions and duties): filled in by the part that builds it. */
import type { FastifyInstance } from "fastify";
import type { Lrs } from "../lrs/index.js";

export function registerEnforcementRoutes(_app: FastifyInstance, _lrs: Lrs): void {}
