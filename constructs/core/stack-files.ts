import { chmodSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { IStackSynthesizer, ISynthesisSession, TerraformStack } from "cdktf";
import type { GeneratedFile } from "./config-image-files";

/**
 * Runs `write` with the stack's output folder (where `cdk.tf.json` goes) each time the stack is synthesized, after
 * cdktf has run the aspects and validations and written `cdk.tf.json`, so the files come from the final construct
 * tree. cdktf's public hook for this is the stack's `synthesizer`: the current one is wrapped, not replaced, so any
 * number of constructs can each add their own files.
 */
export function writeAfterSynthesis(stack: TerraformStack, write: (stackDir: string) => void): void {
  const inner: IStackSynthesizer = stack.synthesizer;
  stack.synthesizer = {
    synthesize(session: ISynthesisSession): void {
      inner.synthesize(session);
      const stackManifest = session.manifest.forStack(stack);
      write(dirname(join(session.outdir, stackManifest.synthesizedStackPath)));
    },
  };
}

/**
 * Writes `files` (paths relative to `stackDir`) after removing the folder `ownedDir` (relative to `stackDir`), so
 * nothing an earlier synth left there survives. Readable by everyone: the files are copied into images whose processes
 * do not run as root, or read by people.
 */
export function replaceStackFiles(stackDir: string, ownedDir: string, files: readonly GeneratedFile[]): void {
  rmSync(join(stackDir, ownedDir), { recursive: true, force: true });
  for (const file of files) {
    const path = join(stackDir, file.path);
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
    writeFileSync(path, file.content);
    chmodSync(path, 0o644);
  }
}
