export {
  POSTGRES_PASSWORD_PATH,
  POSTGRES_VERSION,
  postgresService,
  REDIS_VERSION,
  redisService,
  STATEFUL_RECIPES,
  statefulService,
  type PostgresServiceOptions,
  type StatefulRecipe,
  type StatefulServiceOptions,
} from "./recipes";
