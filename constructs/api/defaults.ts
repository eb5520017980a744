/** The demo API's defaults: their one home. The props' `@default`s, the docs and the tests read them from here. */
import { CONFIG_DEFAULTS } from "@monitoring-stack/api/contract";

/** The `localRun.binary` of the demo API: the harness builds it from app/ and runs it with Node.js. */
export const DEMO_API_BINARY = "demo-api";

/** The defaults of `DemoApiOptions`, each in one place. */
export const DEMO_API_DEFAULTS = {
  /** The service name: its Prometheus job and its alias on the network. */
  name: "api",
  /** Base image of the API (`app/Dockerfile` build arg `NODE_IMAGE`; a test checks the Dockerfile's default agrees). */
  image: "node:22.20.0-alpine3.22",
  hostPort: 8000,
  memoryMb: 256,
  /** The API's own default (`LOG_LEVEL`). */
  logLevel: CONFIG_DEFAULTS.logLevel,
  /** Its SLOs: 99.9% of requests without a 5xx status, 99% served within 0.5 s (a bucket boundary), over 30 days. */
  slo: {
    availability: { objective: 99.9 },
    latency: { objective: 99, thresholdSeconds: 0.5 },
  },
} as const;
