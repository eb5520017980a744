import { Image } from "@cdktf/provider-docker/lib/image";
import type { DockerProvider } from "@cdktf/provider-docker/lib/provider";
import { Lazy, TerraformStack, ref } from "cdktf";
import { Construct } from "constructs";
import { GeneratedFile, filesDigest, renderConfigImageContext } from "./config-image-files";
import { replaceStackFiles, writeAfterSynthesis } from "./stack-files";

/**
 * A pinned base image plus generated config files, built at deploy.
 * @example new ConfigImage(this, "Image", { name: "monitoring-prometheus", baseImage, contextDir: "build/prometheus", targetDir: "/etc/prometheus", files: () => rendered })
 */
export interface ConfigImageProps {
  /** Image name; tagged `local`. */
  readonly name: string;
  /** The pinned image the config is added to. */
  readonly baseImage: string;
  /**
   * Folder of the build context, relative to the stack's folder (`<outdir>/stacks/<stack>`); the construct writes it
   * there when the stack is synthesized. No other construct may use the same folder.
   */
  readonly contextDir: string;
  /** Where the files go inside the image. */
  readonly targetDir: string;
  /** The files to bake in, rendered at synth time (after every construct has added to them). */
  readonly files: () => readonly GeneratedFile[];
  /** The provider of the host the image is built on (its own engine builds it). @default the stack's default provider */
  readonly provider?: DockerProvider;
}

/**
 * The config of a service baked into its own image: a `docker_image` built from a generated context (a Dockerfile
 * `FROM` the pinned base image, then the files). The image is rebuilt, and its container replaced, when the files
 * change. The construct writes its context next to `cdk.tf.json` itself when its stack is synthesized, so any cdktf app
 * that synthesizes the stack gets it, with no step of its own.
 */
export class ConfigImage extends Construct {
  /** The built image. */
  public readonly image: Image;

  private readonly props: ConfigImageProps;

  constructor(scope: Construct, id: string, props: ConfigImageProps) {
    super(scope, id);
    this.props = props;
    this.image = new Image(this, "Image", {
      ...(props.provider !== undefined ? { provider: props.provider } : {}),
      name: `${props.name}:local`,
      buildAttribute: {
        // Terraform runs in the stack's folder; the provider wants an absolute context path.
        context: `${ref("path.cwd")}/${props.contextDir}`,
        dockerfile: "Dockerfile",
        buildArgs: { BASE_IMAGE: props.baseImage },
      },
      // A change of any file rebuilds the image.
      triggers: { context_sha256: Lazy.stringValue({ produce: () => filesDigest(this.contextFiles()) }) },
      keepLocally: false,
    });
    // Written next to cdk.tf.json at synth, replacing what an earlier synth left in contextDir.
    writeAfterSynthesis(TerraformStack.of(this), (stackDir) =>
      replaceStackFiles(stackDir, props.contextDir, this.contextFiles()),
    );
  }

  /** The build context: the Dockerfile and the files, paths relative to the stack's folder. */
  public contextFiles(): GeneratedFile[] {
    return renderConfigImageContext(this.props.targetDir, this.props.files()).map((file) => ({
      path: `${this.props.contextDir}/${file.path}`,
      content: file.content,
    }));
  }
}
