import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { HEALTHCHECK_COMMAND } from "../src/probes";
import { startServer } from "./helpers";

// CI has no Docker daemon or base images, so the image is never built here. These tests pin the properties the
// stack relies on and run the HEALTHCHECK command itself against a real server.
const dockerfile = readFileSync(join(__dirname, "..", "Dockerfile"), "utf8");
const instructions = dockerfile
  .replace(/\\\n\s*/g, "")
  .split("\n")
  .filter((line) => line.trim() !== "" && !line.startsWith("#"));

function healthcheckCommand(): string[] {
  const line = instructions.find((instruction) => instruction.startsWith("HEALTHCHECK"));
  const exec = line?.slice(line.indexOf("CMD ") + 4);
  return JSON.parse(exec ?? "[]") as string[];
}

function runHealthcheck(port: number): Promise<number> {
  const [command, ...args] = healthcheckCommand();
  expect(command).toBe("node");
  return new Promise((resolve) => {
    execFile(process.execPath, args, { env: { ...process.env, PORT: String(port) }, timeout: 10_000 }, (error) =>
      resolve(error === null ? 0 : typeof error.code === "number" ? error.code : -1),
    );
  });
}

describe("app/Dockerfile", () => {
  it("starts with the NODE_IMAGE build argument and builds in two stages from it", () => {
    expect(instructions[0]).toMatch(/^ARG NODE_IMAGE=node:\S+$/);
    expect(instructions.filter((line) => line.startsWith("FROM"))).toEqual([
      "FROM ${NODE_IMAGE} AS build",
      "FROM ${NODE_IMAGE} AS runtime",
    ]);
  });

  it("installs only production dependencies in the runtime stage and runs as node on port 8000", () => {
    const runtime = instructions.slice(instructions.indexOf("FROM ${NODE_IMAGE} AS runtime"));
    expect(runtime.filter((line) => line.startsWith("RUN"))).toEqual([
      "RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force",
    ]);
    expect(runtime).toEqual(
      expect.arrayContaining(["ENV NODE_ENV=production HOST=0.0.0.0 PORT=8000", "USER node", "EXPOSE 8000"]),
    );
    expect(runtime[runtime.length - 1]).toBe('CMD ["node", "dist/main.js"]');
  });

  it("has the HEALTHCHECK command the stack's container healthcheck uses too", () => {
    expect(healthcheckCommand()).toEqual([...HEALTHCHECK_COMMAND]);
  });

  it("has a HEALTHCHECK that passes against a running API and fails when it is down", async () => {
    const { app, port } = await startServer();
    let stopped = false;
    try {
      expect(await runHealthcheck(port)).toBe(0);
      await app.close();
      stopped = true;
      expect(await runHealthcheck(port)).toBe(1);
    } finally {
      if (!stopped) await app.close();
    }
  });
});
