/**
 * Whether a setting's value is a secret, which must not reach cdk.tf.json, the Terraform state or `docker inspect`:
 * by an environment variable's, a flag's or a query parameter's name (`DB_PASSWORD`, `--db.password`, `?api_key=`),
 * or by the value itself (a URL with a password, `Bearer …`). Pure: no cdktf import.
 */

/** Words of an environment variable's name that say its value is a secret (`PASSWORD` also inside a word: `PGPASSWORD`). */
const SECRET_WORDS: ReadonlySet<string> = new Set([
  "PASS",
  "PWD",
  "PASSWD",
  "PASSPHRASE",
  "SECRET",
  "TOKEN",
  "APIKEY",
  "DSN",
  "CREDENTIAL",
  "CREDENTIALS",
  "AUTHORIZATION",
]);
/** Words that say so only as a name's last word (`SERVICE_JWT`, `X_AMZ_SIGNATURE`; not `JWT_ISSUER`, `SIGNATURE_ALGORITHM`). */
const SECRET_LAST_WORDS: ReadonlySet<string> = new Set(["JWT", "PAT", "SIG", "SIGNATURE"]);
/** Pairs of words that do (`API_KEY`, `PRIVATE_KEY`). */
const SECRET_PAIRS: readonly string[] = [
  "API_KEY",
  "PRIVATE_KEY",
  "ACCESS_KEY",
  "SECRET_KEY",
  "ENCRYPTION_KEY",
  "SIGNING_KEY",
  "MASTER_KEY",
  "TLS_KEY",
  "SSH_KEY",
  "SESSION_KEY",
  "CLIENT_KEY",
  "LICENSE_KEY",
  "HMAC_KEY",
  "AUTH_KEY",
  "SHARED_KEY",
];
/**
 * Last words of a name whose value is not the secret itself: where it is (`DB_PASSWORD_FILE`), or something about it
 * (`TOKEN_URL`, `TOKEN_TTL`, `PASSWORD_MIN_LENGTH`, `SECRET_NAME`, `TOKEN_AUDIENCE`, `PASSWORD_AUTH_ENABLED`).
 */
const NOT_A_SECRET_WORDS: ReadonlySet<string> = new Set([
  "FILE",
  "PATH",
  "DIR",
  "URL",
  "URI",
  "ENDPOINT",
  "TTL",
  "HEADER",
  "NAME",
  "LENGTH",
  "TYPE",
  "ID",
  "AUDIENCE",
  "ISSUER",
  "ALGORITHM",
  "ENABLED",
  "MODE",
  "SCOPE",
  "SCOPES",
]);

/**
 * Whether a value is a secret whatever its name: a URL with a password or a secret query or fragment parameter
 * (`?api_key=…`, `#access_token=…`), an HTTP credential (`Bearer …`, `Basic …`), a connection string's `password=…`.
 */
export function valueHoldsSecret(value: string): boolean {
  if (/^(Bearer|Basic)\s+\S/i.test(value.trim())) return true;
  if (/(^|[\s;])(password|pwd)\s*=\s*[^\s;'"]/i.test(value)) return true;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.password !== "") return true;
  const params = [...url.searchParams, ...new URLSearchParams(url.hash.slice(1))];
  return params.some(([name, paramValue]) => paramValue !== "" && holdsSecret(name, "") && !paramValue.startsWith("/"));
}

/**
 * Whether an environment variable holds a secret: by its name (`DB_PASSWORD`, `dbPassword`, `PGPASSWORD`,
 * `STRIPE_API_KEY`; not `DB_PASSWORD_FILE` or `OAUTH_TOKEN_URL`), unless its value is an absolute path (a file the
 * secret is in), or by its value (a URL with a password: `postgres://app:s3cret@db/app`).
 */
export function holdsSecret(variable: string, value: string): boolean {
  if (valueHoldsSecret(value)) return true;
  if (value.startsWith("/")) return false;
  const words = variable
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toUpperCase()
    .split(/_+/)
    .filter((word) => word !== "");
  if (words.length === 0 || NOT_A_SECRET_WORDS.has(words[words.length - 1])) return false;
  if (words.length === 1 && words[0] === "AUTH") return true;
  if (SECRET_LAST_WORDS.has(words[words.length - 1])) return true;
  const joined = `_${words.join("_")}_`;
  return (
    words.some((word) => SECRET_WORDS.has(word) || word.includes("PASSWORD")) ||
    SECRET_PAIRS.some((pair) => joined.includes(`_${pair}_`))
  );
}

/**
 * The indexes of the arguments of a command that hold a secret: `--db.password=…` (by the flag's name or the value),
 * the value after `--password`, a value that is one itself (a URL with a password, `Bearer …`), `-u user:password`
 * (curl's credentials; not `-u 1000:1000`, a uid and gid).
 */
export function secretArguments(args: readonly string[]): number[] {
  const found: number[] = [];
  args.forEach((arg, i) => {
    const flag = /^--?([A-Za-z][\w.-]*)=(.*)$/s.exec(arg);
    const previous = /^--?([A-Za-z][\w.-]*)$/.exec(args[i - 1] ?? "");
    const secret =
      valueHoldsSecret(arg) ||
      (flag !== null && holdsSecret(flag[1].replaceAll(/[.-]/g, "_"), flag[2])) ||
      (previous !== null && !arg.startsWith("-") && holdsSecret(previous[1].replaceAll(/[.-]/g, "_"), arg)) ||
      (/^(-u|--proxy-user)$/.test(args[i - 1] ?? "") && /^[^:\s]+:(?!\d+$)\S+$/.test(arg));
    if (secret) found.push(i);
  });
  return found;
}
