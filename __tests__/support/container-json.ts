/** Reading a synthesized `docker_container` (cdk.tf.json, snake_case) the way the provider and the stack read it. */
import { replaceOnChangeDigest } from "../../constructs/core/container-defaults";

/** A `docker_container` of cdk.tf.json, the attributes these helpers read. */
export interface SynthesizedContainer {
  readonly healthcheck?: {
    readonly test: string[];
    readonly interval?: string;
    readonly timeout?: string;
    readonly start_period?: string;
    readonly retries?: number;
  };
  readonly tmpfs?: Record<string, string>;
  readonly log_driver?: string;
  readonly log_opts?: Record<string, string>;
}

/** The replace-on-change digest of a container as synthesized, computed from its own attributes. */
export function digestOfSynthesized(container: SynthesizedContainer): string {
  const health = container.healthcheck;
  return replaceOnChangeDigest({
    ...(health !== undefined
      ? {
          healthcheck: {
            test: health.test,
            interval: health.interval,
            timeout: health.timeout,
            startPeriod: health.start_period,
            retries: health.retries,
          },
        }
      : {}),
    tmpfs: container.tmpfs,
    logDriver: container.log_driver,
    logOpts: container.log_opts,
  });
}
