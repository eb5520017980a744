import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ItemStore, SEED_ITEMS } from "../src/items";
import { buildServer, SERVICE_NAME, SERVICE_VERSION } from "../src/server";
import { MAX_SIMULATED_LATENCY_MS, SIMULATED_STATUSES } from "../src/simulate";
import { startServer, type RunningServer } from "./helpers";

let server: RunningServer;

/** Starts a fresh server (fresh store) before each test of the calling `describe`, and closes it after. */
function useServer(): void {
  beforeEach(async () => {
    server = await startServer();
  });
  afterEach(async () => {
    await server.app.close();
  });
}

async function getJson(path: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.baseUrl}${path}`);
  expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
  return { status: response.status, body: await response.json() };
}

async function postItem(body: string, contentType = "application/json"): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${server.baseUrl}/api/items`, {
    method: "POST",
    headers: { "content-type": contentType },
    body,
  });
  return { status: response.status, body: await response.json() };
}

describe("service endpoints", () => {
  useServer();

  it("GET / reports the service name and the version of app/package.json", async () => {
    const packageJson = JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { version: string };

    expect(await getJson("/")).toEqual({
      status: 200,
      body: { service: SERVICE_NAME, version: packageJson.version },
    });
    expect(SERVICE_VERSION).toBe(packageJson.version);
  });

  it("GET /health and GET /ready answer 200", async () => {
    expect(await getJson("/health")).toEqual({ status: 200, body: { status: "ok" } });
    expect(await getJson("/ready")).toEqual({ status: 200, body: { status: "ready" } });
  });

  it("answers unknown routes with a JSON 404 naming the route", async () => {
    expect(await getJson("/nope?secret=1")).toEqual({
      status: 404,
      body: { statusCode: 404, error: "Not Found", message: "no route for GET /nope" },
    });
  });
});

describe("/api/items", () => {
  useServer();

  it("lists the seed items, one page at a time", async () => {
    const first = await getJson("/api/items?limit=2");
    const second = await getJson("/api/items?limit=2&offset=2");

    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ total: 3, limit: 2, offset: 0 });
    expect((first.body as { items: { name: string }[] }).items.map((item) => item.name)).toEqual(["widget", "gadget"]);
    expect((second.body as { items: { id: number }[] }).items.map((item) => item.id)).toEqual([3]);
  });

  it("returns one item by id", async () => {
    const { status, body } = await getJson("/api/items/2");

    expect(status).toBe(200);
    expect(body).toMatchObject({ id: 2, name: "gadget", price: 24.5 });
    expect(Number.isNaN(Date.parse((body as { createdAt: string }).createdAt))).toBe(false);
  });

  it("answers an unknown id with a JSON 404", async () => {
    expect(await getJson("/api/items/42")).toEqual({
      status: 404,
      body: { statusCode: 404, error: "Not Found", message: "item 42 does not exist" },
    });
  });

  it("creates an item with 201 and a Location header, then serves it", async () => {
    const response = await fetch(`${server.baseUrl}/api/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "lamp", price: 12.5 }),
    });
    const created = (await response.json()) as { id: number };

    expect(response.status).toBe(201);
    expect(created).toMatchObject({ id: 4, name: "lamp", price: 12.5 });
    expect(response.headers.get("location")).toBe("/api/items/4");
    expect((await getJson("/api/items/4")).body).toEqual(created);
    expect((await getJson("/api/items")).body).toMatchObject({ total: 4 });
  });

  it("rejects a body without a required field", async () => {
    expect(await postItem(JSON.stringify({ name: "lamp" }))).toEqual({
      status: 400,
      body: { statusCode: 400, code: "FST_ERR_VALIDATION", error: "Bad Request", message: "body.price is required" },
    });
  });

  it("rejects a negative price", async () => {
    const { status, body } = await postItem(JSON.stringify({ name: "lamp", price: -1 }));
    expect(status).toBe(400);
    expect(body).toMatchObject({ message: "body.price must be >= 0" });
  });

  it("rejects an empty name", async () => {
    const { status, body } = await postItem(JSON.stringify({ name: "", price: 1 }));
    expect(status).toBe(400);
    expect(body).toMatchObject({ message: "body.name must NOT have fewer than 1 characters" });
  });

  it("rejects an unknown field instead of dropping it", async () => {
    const { status, body } = await postItem(JSON.stringify({ name: "lamp", price: 1, colour: "red" }));
    expect(status).toBe(400);
    expect(body).toMatchObject({ message: "body.colour is not allowed" });
  });

  it("rejects a body that is not JSON with 415", async () => {
    const { status, body } = await postItem("name=lamp", "text/plain");
    expect(status).toBe(415);
    expect(body).toMatchObject({ statusCode: 415, code: "FST_ERR_CTP_INVALID_MEDIA_TYPE" });
  });

  it("rejects an id that is not a positive integer", async () => {
    expect((await getJson("/api/items/abc")).body).toMatchObject({ message: "params.id must be integer" });
    expect((await getJson("/api/items/0")).body).toMatchObject({ message: "params.id must be >= 1" });
  });

  it("rejects a page size above the maximum", async () => {
    const { status, body } = await getJson("/api/items?limit=101");
    expect(status).toBe(400);
    expect(body).toMatchObject({ message: "querystring.limit must be <= 100" });
  });
});

describe("ItemStore", () => {
  it("evicts the oldest item when full, so memory stays bounded", () => {
    const store = new ItemStore(SEED_ITEMS, 3);

    const added = store.add({ name: "lamp", price: 1 });

    expect(added.id).toBe(4);
    expect(store.size).toBe(3);
    expect(store.get(1)).toBeUndefined();
    expect(store.list(0, 10).map((item) => item.id)).toEqual([2, 3, 4]);
  });

  it("fails when the capacity is not a positive integer", () => {
    expect(() => new ItemStore(SEED_ITEMS, 0)).toThrow("capacity must be a positive integer (got 0)");
  });
});

describe("GET /api/simulate", () => {
  useServer();

  it("answers with the status and latency asked for", async () => {
    expect(await getJson("/api/simulate")).toEqual({
      status: 200,
      body: { simulated: { latencyMs: 0, status: 200 } },
    });
    expect(await getJson("/api/simulate?status=503&latency_ms=20")).toEqual({
      status: 503,
      body: {
        statusCode: 503,
        error: "Service Unavailable",
        message: "simulated 503",
        simulated: { latencyMs: 20, status: 503 },
      },
    });
  });

  it("rejects a status outside the fixed set", async () => {
    const { status, body } = await getJson("/api/simulate?status=418");
    expect(status).toBe(400);
    expect(body).toMatchObject({ message: `querystring.status must be one of ${SIMULATED_STATUSES.join(", ")}` });
  });

  it("rejects a latency above the cap", async () => {
    const { status, body } = await getJson(`/api/simulate?latency_ms=${MAX_SIMULATED_LATENCY_MS + 1}`);
    expect(status).toBe(400);
    expect(body).toMatchObject({ message: `querystring.latency_ms must be <= ${MAX_SIMULATED_LATENCY_MS}` });
  });

  it("rejects a latency that is not an integer", async () => {
    const { body } = await getJson("/api/simulate?latency_ms=fast");
    expect(body).toMatchObject({ message: "querystring.latency_ms must be integer" });
  });
});

describe("buildServer", () => {
  it("fails when bodyLimitBytes is not a positive integer", () => {
    expect(() => buildServer({ bodyLimitBytes: 0, logLevel: "silent" })).toThrow(
      "bodyLimitBytes must be a positive integer (got 0)",
    );
  });
});
