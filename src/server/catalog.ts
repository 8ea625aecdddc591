/** HTTP wiring of the contract module's catalog: filled in by the part that builds it. */
import type { FastifyInstance } from "fastify";
import type { Lrs } from "../lrs/index.js";

export function registerCatalogRoutes(_app: FastifyInstance, _lrs: Lrs): void {}
