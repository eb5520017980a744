/**
 * A small in-memory resource API (`/api/items`) so dashboards have realistic traffic to show.
 */
import type { FastifyInstance } from "fastify";

/** An item in the store. */
export interface Item {
  readonly id: number;
  readonly name: string;
  readonly price: number;
  /** ISO 8601 creation time. */
  readonly createdAt: string;
}

/** The body of `POST /api/items`. */
export interface NewItem {
  readonly name: string;
  readonly price: number;
}

/** Longest accepted item name, in characters. */
export const MAX_NAME_LENGTH = 100;
/** Highest accepted price. */
export const MAX_PRICE = 1_000_000;
/** Page size of `GET /api/items` when `limit` is not given, and the largest allowed. */
export const PAGE_LIMITS = { default: 20, max: 100 } as const;

/** Items every new store starts with, so reads succeed before anything was created. */
export const SEED_ITEMS: readonly NewItem[] = [
  { name: "widget", price: 9.99 },
  { name: "gadget", price: 24.5 },
  { name: "gizmo", price: 3 },
];

/**
 * The items, in insertion order, with a bounded size: when full, adding evicts the oldest item, so a long traffic
 * run cannot grow the process without limit.
 */
export class ItemStore {
  /** Most items kept at once. */
  public readonly capacity: number;
  private readonly items = new Map<number, Item>();
  private nextId = 1;

  /** @param capacity most items kept; @default 1000 */
  constructor(seed: readonly NewItem[] = SEED_ITEMS, capacity = 1000) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`capacity must be a positive integer (got ${capacity})`);
    }
    this.capacity = capacity;
    for (const item of seed) {
      this.add(item);
    }
  }

  /** Number of items held. */
  get size(): number {
    return this.items.size;
  }

  /** Stores a new item with the next id and returns it. */
  add(input: NewItem, now: Date = new Date()): Item {
    if (this.items.size >= this.capacity) {
      // Map iteration order is insertion order, so the first key is the oldest item.
      const oldest = this.items.keys().next();
      if (oldest.done !== true) {
        this.items.delete(oldest.value);
      }
    }
    const item: Item = { id: this.nextId++, name: input.name, price: input.price, createdAt: now.toISOString() };
    this.items.set(item.id, item);
    return item;
  }

  /** The item with `id`, or `undefined`. */
  get(id: number): Item | undefined {
    return this.items.get(id);
  }

  /** Up to `limit` items starting at position `offset`, oldest first. */
  list(offset: number, limit: number): Item[] {
    const page: Item[] = [];
    let position = 0;
    for (const item of this.items.values()) {
      if (position >= offset + limit) break;
      if (position >= offset) page.push(item);
      position++;
    }
    return page;
  }
}

const itemSchema = {
  type: "object",
  properties: {
    id: { type: "integer" },
    name: { type: "string" },
    price: { type: "number" },
    createdAt: { type: "string" },
  },
} as const;

/**
 * Registers `GET /api/items`, `GET /api/items/:id` and `POST /api/items` on `app`, backed by `store`.
 *
 * Input is validated by JSON schemas; the server's schema error formatter turns failures into 400s naming the field.
 */
export function registerItemRoutes(app: FastifyInstance, store: ItemStore): void {
  app.get<{ Querystring: { limit: number; offset: number } }>(
    "/api/items",
    {
      schema: {
        querystring: {
          type: "object",
          properties: {
            limit: { type: "integer", minimum: 1, maximum: PAGE_LIMITS.max, default: PAGE_LIMITS.default },
            offset: { type: "integer", minimum: 0, default: 0 },
          },
        },
        response: {
          200: {
            type: "object",
            properties: {
              items: { type: "array", items: itemSchema },
              total: { type: "integer" },
              limit: { type: "integer" },
              offset: { type: "integer" },
            },
          },
        },
      },
    },
    async (request) => {
      const { limit, offset } = request.query;
      return { items: store.list(offset, limit), total: store.size, limit, offset };
    },
  );

  app.get<{ Params: { id: number } }>(
    "/api/items/:id",
    {
      schema: {
        params: { type: "object", properties: { id: { type: "integer", minimum: 1 } }, required: ["id"] },
        response: { 200: itemSchema },
      },
    },
    async (request, reply) => {
      const item = store.get(request.params.id);
      if (item === undefined) {
        return reply.code(404).send({
          statusCode: 404,
          error: "Not Found",
          message: `item ${request.params.id} does not exist`,
        });
      }
      return item;
    },
  );

  app.post<{ Body: NewItem }>(
    "/api/items",
    {
      schema: {
        body: {
          type: "object",
          properties: {
            name: { type: "string", minLength: 1, maxLength: MAX_NAME_LENGTH },
            price: { type: "number", minimum: 0, maximum: MAX_PRICE },
          },
          required: ["name", "price"],
          additionalProperties: false,
        },
        response: { 201: itemSchema },
      },
    },
    async (request, reply) => {
      const item = store.add(request.body);
      return reply.code(201).header("location", `/api/items/${item.id}`).send(item);
    },
  );
}
