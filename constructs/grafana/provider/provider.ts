import { Construct } from "constructs";
import * as cdktf from "cdktf";
import { GRAFANA_PROVIDER } from "../defaults";

/**
 * Generator metadata every Grafana binding passes to cdktf, as generated bindings do.
 *
 * `required_providers` carries the version from `../defaults.ts`, an exact pin: the one the conformance test checks.
 */
export const GRAFANA_GENERATOR_METADATA: cdktf.TerraformProviderGeneratorMetadata = {
  providerName: "grafana",
  providerVersionConstraint: GRAFANA_PROVIDER.version,
};

/**
 * One attribute as returned by `synthesizeHclAttributes()`, the shape cdktf-generated bindings use.
 *
 * `storageClassType` is the cdktf value kind: `string`, `boolean`, `number` or `stringMap` in these bindings.
 */
export interface HclAttribute {
  /** The value, already passed through cdktf's `...ToHclTerraform` mapper. */
  readonly value: unknown;
  /** Whether the attribute is a nested block rather than an argument. */
  readonly isBlock: boolean;
  /** How HCL renders it: `simple` for scalars, `map` for maps. */
  readonly type: "simple" | "map" | "list" | "set";
  /** The cdktf value kind. */
  readonly storageClassType: string;
}

/**
 * Configuration of the {@link GrafanaProvider} (the `provider "grafana"` block).
 *
 * Only the attributes this stack needs; every one may also come from the provider's `GRAFANA_*` environment
 * variables, which is how credentials are meant to arrive.
 */
export interface GrafanaProviderConfig {
  /**
   * Terraform `url`: the root URL of the Grafana server, e.g. `http://127.0.0.1:3000`.
   * @default unset: the provider reads `GRAFANA_URL`
   */
  readonly url?: string;
  /**
   * Terraform `auth`: an API token, `username:password` basic auth, or the literal `anonymous`. **Sensitive.**
   *
   * Never pass a literal credential: cdktf would write it in plain text to `cdktf.out`. Leave it unset so the
   * provider reads `GRAFANA_AUTH`, or pass a Terraform expression (for example a sensitive `TerraformVariable`'s
   * `stringValue`). A literal other than `anonymous` is rejected.
   * @default unset: the provider reads `GRAFANA_AUTH`
   */
  readonly auth?: string;
  /**
   * Terraform `org_id`: the organization (a number here, unlike the resources' string `org_id`) used by resources
   * that set none, for self-hosted Grafana.
   * @default unset: the provider reads `GRAFANA_ORG_ID`, else the user's current organization
   */
  readonly orgId?: number;
  /**
   * Terraform `retries`: how many times a failed Grafana API call is retried.
   * @default unset: the provider reads `GRAFANA_RETRIES`, else its built-in default
   */
  readonly retries?: number;
  /**
   * Terraform `retry_wait`: seconds to wait between two retries.
   * @default unset: the provider reads `GRAFANA_RETRY_WAIT`, else its built-in default
   */
  readonly retryWait?: number;
  /**
   * Terraform `insecure_skip_verify`: skip TLS certificate verification of the Grafana server.
   * @default unset: the provider reads `GRAFANA_INSECURE_SKIP_VERIFY`, else verification is on
   */
  readonly insecureSkipVerify?: boolean | cdktf.IResolvable;
  /**
   * Terraform meta-argument `alias`: names this provider configuration so resources can select it with `provider`.
   * @default unset: the default `grafana` provider configuration
   */
  readonly alias?: string;
}

/**
 * The Grafana Terraform provider (`grafana/grafana`), as a cdktf provider binding.
 *
 * Registry docs: {@link https://registry.terraform.io/providers/grafana/grafana/latest/docs}. Emits
 * `required_providers.grafana = { source = "grafana/grafana", version = GRAFANA_PROVIDER.version }`.
 * @example new GrafanaProvider(this, "grafana", { url: "http://127.0.0.1:3000" }) // auth from GRAFANA_AUTH
 */
export class GrafanaProvider extends cdktf.TerraformProvider {
  /** The Terraform provider type name this binding synthesizes. */
  public static readonly tfResourceType = "grafana";

  /** Attributes this binding emits that the provider schema marks sensitive (checked by the conformance test). */
  public static readonly sensitiveAttributes: readonly string[] = ["auth"];

  private _url?: string;
  private _auth?: string;
  private _orgId?: number;
  private _retries?: number;
  private _retryWait?: number;
  private _insecureSkipVerify?: boolean | cdktf.IResolvable;
  private _alias?: string;

  /**
   * Creates the `provider "grafana"` block.
   * @param scope the stack
   * @param id the construct id
   * @param config the provider attributes; all optional
   */
  constructor(scope: Construct, id: string, config: GrafanaProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: GrafanaProvider.tfResourceType,
      terraformGeneratorMetadata: GRAFANA_GENERATOR_METADATA,
      terraformProviderSource: GRAFANA_PROVIDER.source,
    });
    GrafanaProvider.checkAuth(config.auth);
    this._url = config.url;
    this._auth = config.auth;
    this._orgId = config.orgId;
    this._retries = config.retries;
    this._retryWait = config.retryWait;
    this._insecureSkipVerify = config.insecureSkipVerify;
    this._alias = config.alias;
  }

  /** Terraform `url` as configured. */
  public get url(): string | undefined {
    return this._url;
  }
  public set url(value: string | undefined) {
    this._url = value;
  }
  /** Unsets `url`. */
  public resetUrl(): void {
    this._url = undefined;
  }
  /** The configured `url`, undefined when unset. */
  public get urlInput(): string | undefined {
    return this._url;
  }

  /** Terraform `auth` as configured (sensitive; see {@link GrafanaProviderConfig.auth}). */
  public get auth(): string | undefined {
    return this._auth;
  }
  public set auth(value: string | undefined) {
    GrafanaProvider.checkAuth(value);
    this._auth = value;
  }
  /** Unsets `auth`, so the provider reads `GRAFANA_AUTH`. */
  public resetAuth(): void {
    this._auth = undefined;
  }
  /** The configured `auth`, undefined when unset. */
  public get authInput(): string | undefined {
    return this._auth;
  }

  /** Terraform `org_id` as configured. */
  public get orgId(): number | undefined {
    return this._orgId;
  }
  public set orgId(value: number | undefined) {
    this._orgId = value;
  }
  /** Unsets `org_id`. */
  public resetOrgId(): void {
    this._orgId = undefined;
  }
  /** The configured `org_id`, undefined when unset. */
  public get orgIdInput(): number | undefined {
    return this._orgId;
  }

  /** Terraform `retries` as configured. */
  public get retries(): number | undefined {
    return this._retries;
  }
  public set retries(value: number | undefined) {
    this._retries = value;
  }
  /** Unsets `retries`. */
  public resetRetries(): void {
    this._retries = undefined;
  }
  /** The configured `retries`, undefined when unset. */
  public get retriesInput(): number | undefined {
    return this._retries;
  }

  /** Terraform `retry_wait` as configured, in seconds. */
  public get retryWait(): number | undefined {
    return this._retryWait;
  }
  public set retryWait(value: number | undefined) {
    this._retryWait = value;
  }
  /** Unsets `retry_wait`. */
  public resetRetryWait(): void {
    this._retryWait = undefined;
  }
  /** The configured `retry_wait`, undefined when unset. */
  public get retryWaitInput(): number | undefined {
    return this._retryWait;
  }

  /** Terraform `insecure_skip_verify` as configured. */
  public get insecureSkipVerify(): boolean | cdktf.IResolvable | undefined {
    return this._insecureSkipVerify;
  }
  public set insecureSkipVerify(value: boolean | cdktf.IResolvable | undefined) {
    this._insecureSkipVerify = value;
  }
  /** Unsets `insecure_skip_verify`. */
  public resetInsecureSkipVerify(): void {
    this._insecureSkipVerify = undefined;
  }
  /** The configured `insecure_skip_verify`, undefined when unset. */
  public get insecureSkipVerifyInput(): boolean | cdktf.IResolvable | undefined {
    return this._insecureSkipVerify;
  }

  /** The provider configuration's `alias` (cdktf reads it to address the provider as `grafana.<alias>`). */
  public override get alias(): string | undefined {
    return this._alias;
  }
  public override set alias(value: string | undefined) {
    this._alias = value;
  }
  /** Unsets `alias`. */
  public resetAlias(): void {
    this._alias = undefined;
  }
  /** The configured `alias`, undefined when unset. */
  public get aliasInput(): string | undefined {
    return this._alias;
  }

  /** The provider block's attributes in Terraform JSON, under their Terraform names. */
  protected override synthesizeAttributes(): { [name: string]: unknown } {
    return {
      url: cdktf.stringToTerraform(this._url),
      auth: cdktf.stringToTerraform(this._auth),
      org_id: cdktf.numberToTerraform(this._orgId),
      retries: cdktf.numberToTerraform(this._retries),
      retry_wait: cdktf.numberToTerraform(this._retryWait),
      insecure_skip_verify: cdktf.booleanToTerraform(this._insecureSkipVerify),
      alias: cdktf.stringToTerraform(this._alias),
    };
  }

  /** The provider block's attributes for HCL output, with their cdktf value kinds; unset ones are left out. */
  protected override synthesizeHclAttributes(): { [name: string]: HclAttribute } {
    const attrs: { [name: string]: HclAttribute } = {
      url: { value: cdktf.stringToHclTerraform(this._url), isBlock: false, type: "simple", storageClassType: "string" },
      auth: {
        value: cdktf.stringToHclTerraform(this._auth),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      org_id: {
        value: cdktf.numberToHclTerraform(this._orgId),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
      retries: {
        value: cdktf.numberToHclTerraform(this._retries),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
      retry_wait: {
        value: cdktf.numberToHclTerraform(this._retryWait),
        isBlock: false,
        type: "simple",
        storageClassType: "number",
      },
      insecure_skip_verify: {
        value: cdktf.booleanToHclTerraform(this._insecureSkipVerify),
        isBlock: false,
        type: "simple",
        storageClassType: "boolean",
      },
      alias: {
        value: cdktf.stringToHclTerraform(this._alias),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };
    return Object.fromEntries(Object.entries(attrs).filter(([, attr]) => attr.value !== undefined));
  }

  /** Rejects a literal credential in `auth`: only unset, `anonymous` or a Terraform expression are allowed. */
  private static checkAuth(auth: string | undefined): void {
    if (auth === undefined || auth === "anonymous" || cdktf.Token.isUnresolved(auth)) {
      return;
    }
    throw new Error(
      `auth must not be a literal credential (got a literal string of ${auth.length} characters): cdktf would write ` +
        `it in plain text to cdktf.out. Leave auth unset so the provider reads GRAFANA_AUTH, or pass a Terraform ` +
        `expression such as a sensitive TerraformVariable's stringValue.`,
    );
  }
}
