/**
 * How a handler becomes Lambda code: one esbuild configuration, used in two places.
 *
 * - In this repository (TypeScript sources present): each function's asset is bundled at synth time, in
 *   process, with the esbuild dev dependency (no Docker).
 * - In the installed package: `npm pack` runs `prepack` (scripts/build-package.ts), which bundles every
 *   handler with the same configuration into `dist/handlers/<step>/index.mjs`; the construct then uses those
 *   files as they are (`lambda.Code.fromAsset`), so a consumer needs neither esbuild nor this repository's lock
 *   file.
 *
 * Decisions (measured in the toolchain notes, §1.4 and §7):
 * - ESM output (`index.mjs`) so handlers may use top-level await; ESM bundles of CommonJS dependencies need the
 *   `createRequire` banner below, without it the SDK crashes at load with "Dynamic require of node:https".
 * - The AWS SDK is bundled with `mainFields: ['module', 'main']`: the tree-shaken EC2 client loads in about half
 *   the time of the runtime-provided SDK, and the deployed code runs the exact SDK version the tests ran.
 * - Minified, with source maps (`NODE_OPTIONS=--enable-source-maps` on the function), source contents left out.
 * - Target `node24`, the functions' runtime (`nodejs24.x`).
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Makes `require` exist inside the ESM bundle (for bundled CommonJS dependencies). */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);";

/** The bundle's file name; the function's handler is `index.handler`. */
export const HANDLER_FILE = 'index.mjs';

/** esbuild's target for the functions' runtime (nodejs24.x). */
export const HANDLER_TARGET = 'node24';

/** The directory above lib/: the repository root, or `dist/` in the installed package. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The esbuild options of a handler bundle (plain data: the build script and synth-time bundling share it). */
export function handlerBuildOptions(
  entry: string,
  outdir: string,
  projectRoot: string,
): Record<string, unknown> {
  return {
    absWorkingDir: projectRoot,
    entryPoints: [entry],
    outfile: join(outdir, HANDLER_FILE),
    bundle: true,
    platform: 'node',
    target: HANDLER_TARGET,
    format: 'esm',
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    banner: { js: ESM_REQUIRE_BANNER },
    logLevel: 'warning',
  };
}

/**
 * One esbuild build of several handlers (`name` -> absolute entry) into `outdir/<name>/index.mjs`, with the same
 * options as `handlerBuildOptions` (each output is a complete bundle; one build only shares the parsing).
 */
export function handlersBuildOptions(
  entries: Readonly<Record<string, string>>,
  outdir: string,
  projectRoot: string,
): Record<string, unknown> {
  const { entryPoints: _one, outfile: _file, ...options } = handlerBuildOptions('', outdir, projectRoot);
  return {
    ...options,
    entryPoints: Object.fromEntries(
      Object.entries(entries).map(([name, entry]) => [
        `${name}/${HANDLER_FILE.replace(/\.mjs$/, '')}`,
        entry,
      ]),
    ),
    outdir,
    outExtension: { '.js': '.mjs' },
  };
}

interface Esbuild {
  buildSync(options: Record<string, unknown>): { errors: unknown[] };
}

/** esbuild, when it is installed (a dev dependency of this repository; consumers do not need it). */
function loadEsbuild(projectRoot: string): Esbuild {
  try {
    return createRequire(join(projectRoot, 'package.json'))('esbuild') as Esbuild;
  } catch (error) {
    throw new Error(
      'Bundling the Lambda handlers from source needs esbuild (`npm install --save-dev esbuild`). Installed ' +
        'packages carry pre-built handlers in dist/handlers/ and need no esbuild: is this package built?',
      { cause: error },
    );
  }
}

/** Bundles one handler entry (absolute path) into `outdir/index.mjs` (+ `.map`). Throws on any esbuild error. */
export function bundleHandler(entry: string, outdir: string, projectRoot: string): void {
  const result = loadEsbuild(projectRoot).buildSync(handlerBuildOptions(entry, outdir, projectRoot));
  if (result.errors.length > 0) throw new Error(`esbuild failed for ${entry}`);
}

/**
 * The directory of a pre-built handler (`<package>/handlers/<name>/index.mjs`), or undefined when this is the
 * source tree (no pre-built handlers next to lib/).
 */
export function prebuiltHandlerDir(entry: string, root: string = PACKAGE_ROOT): string | undefined {
  const name = entry.replace(/^.*\//, '').replace(/\.ts$/, '');
  const dir = join(root, 'handlers', name);
  return existsSync(join(dir, HANDLER_FILE)) ? dir : undefined;
}
