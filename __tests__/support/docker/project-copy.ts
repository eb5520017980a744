/**
 * A copy of this project in a temporary folder, synthesized there the way `cdktf synth` does (cdktf.json's
 * `npx tsx main.ts` in the project folder, output folder in CDKTF_OUTDIR). Tests use it to synthesize from a second
 * location and to change the API's source without touching the checkout.
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

/** The project root (this file lives in `__tests__/support/docker/`). */
export const PROJECT_ROOT = resolve(__dirname, "..", "..", "..");
/** What synth reads: the cdktf app, its constructs, dashboards and the app's sources (the API image's context). */
const COPIED = ["main.ts", "cdktf.json", "package.json", "tsconfig.json", "constructs", "dashboards", "app"];
/** Never copied: installed dependencies (linked instead), build outputs, secrets, caches. */
const SKIPPED = new Set(["node_modules", "dist", "cdktf.out", ".secrets", ".cache", "coverage"]);

/** A project copy; `remove()` deletes it. */
export interface ProjectCopy {
  readonly root: string;
  remove(): void;
}

/** Copies the project's synth inputs into `parent/<name>` (a fresh temp folder when `parent` is omitted). */
export function copyProject(parent: string = mkdtempSync(join(tmpdir(), "monitoring-copy-"))): ProjectCopy {
  const root = join(parent, "monitoring-stack");
  for (const entry of COPIED) {
    cpSync(join(PROJECT_ROOT, entry), join(root, entry), {
      recursive: true,
      filter: (source) =>
        !relative(PROJECT_ROOT, source)
          .split("/")
          .some((part) => SKIPPED.has(part)),
    });
  }
  // The same installed dependencies: node_modules resolves upwards from main.ts.
  symlinkSync(join(PROJECT_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  return { root, remove: () => rmSync(parent, { recursive: true, force: true }) };
}

/**
 * Runs `npx tsx main.ts` in `projectDir` with `env` (plus PATH/HOME), the way cdktf.json's `app` runs; returns the
 * stack folder (`<outdir>/stacks/monitoring`). `outdir` is relative to the project like cdktf's default `cdktf.out`.
 */
export function synthIn(projectDir: string, env: Readonly<Record<string, string>>, outdir = "cdktf.out"): string {
  execFileSync(join(PROJECT_ROOT, "node_modules", ".bin", "tsx"), ["main.ts"], {
    cwd: projectDir,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", CDKTF_OUTDIR: outdir, ...env },
    stdio: "pipe",
  });
  return resolve(projectDir, outdir, "stacks", "monitoring");
}
