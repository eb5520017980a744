import { connect } from "node:net";
import { HTTP_METRICS } from "../src/metrics";
import { DEFAULT_BODY_LIMIT_BYTES } from "../src/server";
import { countsByLabels, histogramsOf, scrape, startServer, type RunningServer } from "./helpers";

let server: RunningServer;

beforeEach(async () => {
  server = await startServer();
});

afterEach(async () => {
  await server.app.close();
});

/** Sends raw bytes on a new connection and returns everything the server wrote before closing it. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer within 5 s")));
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.end(request);
  });
}

async function expectStillServing(): Promise<void> {
  const response = await fetch(`${server.baseUrl}/health`);
  expect(response.status).toBe(200);
}

async function requestCounts(): Promise<Record<string, number>> {
  return countsByLabels(await scrape(server.baseUrl), HTTP_METRICS.requestsTotal.name);
}

describe("bad input", () => {
  it("rejects malformed JSON with a 400, counts it and keeps serving", async () => {
    const response = await fetch(`${server.baseUrl}/api/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"name": "lamp", ',
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      statusCode: 400,
      code: "FST_ERR_CTP_INVALID_JSON_BODY",
      error: "Bad Request",
      message: "Body is not valid JSON but content-type is set to 'application/json'",
    });
    await expectStillServing();
    expect(await requestCounts()).toEqual({ "POST /api/items 400": 1, "GET /health 200": 1 });
  });

  it("rejects a body over the size limit with a 413, counts it and keeps serving", async () => {
    const name = "x".repeat(DEFAULT_BODY_LIMIT_BYTES);
    const response = await fetch(`${server.baseUrl}/api/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name, price: 1 }),
    });

    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({
      statusCode: 413,
      code: "FST_ERR_CTP_BODY_TOO_LARGE",
      error: "Payload Too Large",
      message: "request body is larger than 16384 bytes",
    });
    await expectStillServing();
    expect(await requestCounts()).toEqual({ "POST /api/items 413": 1, "GET /health 200": 1 });
  });

  it("rejects a method no route serves with a 404, counted as OTHER and unmatched", async () => {
    const response = await fetch(`${server.baseUrl}/api/items`, { method: "PROPFIND" });

    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      statusCode: 404,
      error: "Not Found",
      message: "no route for PROPFIND /api/items",
    });
    await expectStillServing();
    expect(await requestCounts()).toEqual({ "OTHER unmatched 404": 1, "GET /health 200": 1 });
  });

  it("rejects a method token the HTTP parser refuses with a JSON 400, counted as OTHER and unmatched", async () => {
    const answer = await rawRequest(server.port, "BREW /pot HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");

    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    expect(JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4))).toEqual({
      statusCode: 400,
      error: "Bad Request",
      message: "malformed HTTP request (HPE_INVALID_METHOD)",
    });
    await expectStillServing();
    const metrics = await scrape(server.baseUrl);
    expect(countsByLabels(metrics, HTTP_METRICS.requestsTotal.name)).toEqual({
      "OTHER unmatched 400": 1,
      "GET /health 200": 1,
    });
    const rejected = histogramsOf(metrics, HTTP_METRICS.requestDurationSeconds.name).find(
      (histogram) => histogram.labels.method === "OTHER",
    );
    expect(rejected?.count).toBe(1);
  });

  it("rejects a request line that is not HTTP with a 400 and keeps serving", async () => {
    const answer = await rawRequest(server.port, "\x00\x01 garbage\r\n\r\n");

    expect(answer.split("\r\n")[0]).toBe("HTTP/1.1 400 Bad Request");
    await expectStillServing();
    expect(await requestCounts()).toEqual({ "OTHER unmatched 400": 1, "GET /health 200": 1 });
  });
});
