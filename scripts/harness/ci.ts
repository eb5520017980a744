/** True when running in CI: `CI` is `true` or `1` (any case). @param env @default process.env */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.CI ?? "").toLowerCase();
  return value === "true" || value === "1";
}
