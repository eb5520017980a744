/**
 * The JSON body parser of the API: Fastify's guard against prototype poisoning, with errors that say what is wrong.
 *
 * Fastify's own parser answers a body containing `__proto__` with "Body is not valid JSON", which is false: it is
 * valid JSON, refused because assigning it could change an object's prototype.
 */

const INVALID_JSON_MESSAGE = "Body is not valid JSON but content-type is set to 'application/json'";
const EMPTY_JSON_MESSAGE = "Body cannot be empty when content-type is set to 'application/json'";

/** An error Fastify's error handler turns into a 400 with this code and message. */
export class BodyError extends Error {
  public readonly statusCode = 400;

  constructor(
    public readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "BodyError";
  }
}

/**
 * Parses a JSON request body, refusing keys that could poison prototypes: `__proto__` anywhere, and `constructor`
 * holding an object with a `prototype` key (the cases Fastify's parser refuses).
 * @example parseJsonBody('{"name":"lamp"}') // { name: "lamp" }
 */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === "") {
    throw new BodyError("FST_ERR_CTP_EMPTY_JSON_BODY", EMPTY_JSON_MESSAGE);
  }
  let forbidden: string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (key === "__proto__") {
        forbidden ??= "__proto__";
      } else if (key === "constructor" && typeof value === "object" && value !== null && "prototype" in value) {
        forbidden ??= "constructor.prototype";
      }
      return value;
    });
  } catch {
    // Fastify's code and message; the parser's own message would quote part of the body.
    throw new BodyError("FST_ERR_CTP_INVALID_JSON_BODY", INVALID_JSON_MESSAGE);
  }
  if (forbidden !== undefined) {
    throw new BodyError(
      "ERR_FORBIDDEN_JSON_KEY",
      `the body is valid JSON but contains the key "${forbidden}", refused because it could change object ` +
        "prototypes; remove it",
    );
  }
  return parsed;
}
