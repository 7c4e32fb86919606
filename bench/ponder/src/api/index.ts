import { Hono } from "hono";

// ponder@1.0.0 requires an API file exporting a Hono app. The benchmark reads Postgres
// directly, so it serves nothing beyond Ponder's built-in /health, /ready, /status.
const app = new Hono();

export default app;
