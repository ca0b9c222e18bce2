/**
 * How a handler becomes Lambda code: one esbuild configuration, used in two places.
 *
 * - In this repository (TypeScript sources present): each function's asset is bundled at synth time with the
 *   esbuild dev dependency (no Docker). CDK asks for the asset synchronously and esbuild plugins only run in its
 *   asynchronous API, so `bundleHandler` runs the build in a worker thread and waits for it; it bundles all
 *   handlers in one build on the first request and hands out each function's bundle from it.
 * - In the installed package: `npm pack` runs `prepack` (scripts/build-package.ts), which bundles every
 *   handler with the same configuration into `dist/handlers/<step>/index.mjs`; the construct then uses those
 *   files as they are (`lambda.Code.fromAsset`), so a consumer needs neither esbuild nor this repository's lock
 *   file.
 *
 * Decisions (measured in the toolchain notes, §1.4 and §7, and with `npm run bench`, bench/bundles.ts):
 * - ESM output (`index.mjs`) so handlers may use top-level await; ESM bundles of CommonJS dependencies need the
 *   `createRequire` banner below, without it the SDK crashes at load with "Dynamic require of node:https".
 * - The AWS SDK is bundled with `mainFields: ['module', 'main']`: the tree-shaken EC2 client loads in about half
 *   the time of the runtime-provided SDK, and the deployed code runs the exact SDK version the tests ran.
 * - Two plugins (`handlerBundlePlugins`), both about module load time (cold start):
 *   - `sdk-schema-keys`: the SDK's generated schema files (`dist-es/…/schemas/schemas_N.js`) write trait keys
 *     as computed keys of string constants (`{ [_xN]: … }`); esbuild must keep every such statement (a
 *     computed key might have side effects), so no schema is tree-shaken: the EC2 client brought all its
 *     ~3,400 shapes (550 KiB) for the five operations used. The plugin writes those keys as the string
 *     literals they stand for, which changes nothing at run time and lets esbuild drop unused schemas
 *     (aws/aws-sdk-js-v3#7607; the same change is proposed upstream in smithy-lang/smithy-typescript#1889).
 *   - `builtins-via-require`: Node built-ins are loaded with `require` (the banner's) instead of an ESM
 *     `import`. Node builds an ESM facade of a built-in by reading every export, and `node:http`'s lazy
 *     getters then load undici (fetch/WebSocket), which the SDK never uses: about 40 ms at every cold start.
 * - Minified, with a source map next to the bundle (source contents left out). The functions do NOT set
 *   `NODE_OPTIONS=--enable-source-maps`: Node then parses the map at every cold start (and each stack trace
 *   it formats costs more), which AWS and Powertools advise against; a minified stack trace is mapped back
 *   offline with the shipped `index.mjs.map`.
 * - Target `node24`, the functions' runtime (`nodejs24.x`).
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules, createRequire } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker } from 'node:worker_threads';

/** Makes `require` exist inside the ESM bundle (for bundled CommonJS dependencies). */
export const ESM_REQUIRE_BANNER =
  "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);";

/** The bundle's file name; the function's handler is `index.handler`. */
export const HANDLER_FILE = 'index.mjs';

/** esbuild's target for the functions' runtime (nodejs24.x). */
export const HANDLER_TARGET = 'node24';

/** The directory above lib/: the repository root, or `dist/` in the installed package. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The part of esbuild's plugin API the handler plugins use (esbuild itself is a dev dependency only). */
export interface BundlePlugin {
  readonly name: string;
  setup(build: {
    onResolve(
      options: { filter: RegExp; namespace?: string },
      callback: (args: {
        path: string;
        namespace: string;
        kind: string;
      }) => { path: string; namespace?: string; external?: boolean } | undefined,
    ): void;
    onLoad(
      options: { filter: RegExp; namespace?: string },
      callback: (args: {
        path: string;
      }) => Promise<{ contents: string; loader: 'js' }> | { contents: string; loader: 'js' },
    ): void;
  }): void;
}

/** The SDK's generated schema files (`@aws-sdk/<client>/dist-es/[submodules/<x>/]schemas/schemas_<n>.js`). */
export const SDK_SCHEMA_FILE =
  /[\\/]node_modules[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/](?:[^\\/]+[\\/])*schemas[\\/]schemas_\d+\.js$/;

/**
 * `{ [_xN]: v, [_hE]: 400 }` -> `{ "xmlName": v, "httpError": 400 }` in one schema file, for the keys that are
 * top-level string constants of the file (`const _xN = "xmlName";`). Only object-literal keys (after `{` or
 * `,`) are rewritten; anything else is left as it is.
 */
export function literalSchemaKeys(text: string): { text: string; rewritten: number } {
  const constants = new Map<string, string>();
  for (const m of text.matchAll(/^const (_[\w$]+) = ("(?:[^"\\\n]|\\.)*");$/gm)) {
    constants.set(m[1] as string, m[2] as string);
  }
  let rewritten = 0;
  const out = text.replace(/([{,]\s*)\[(_[\w$]+)\]:/g, (whole, lead: string, name: string) => {
    const literal = constants.get(name);
    if (literal === undefined) return whole;
    rewritten++;
    return `${lead}${literal}:`;
  });
  return { text: out, rewritten };
}

const sdkSchemaKeys: BundlePlugin = {
  name: 'sdk-schema-keys',
  setup(build) {
    build.onLoad({ filter: SDK_SCHEMA_FILE }, async ({ path }) => ({
      contents: literalSchemaKeys(await readFile(path, 'utf8')).text,
      loader: 'js',
    }));
  },
};

const NODE_BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const BUILTIN_NAMESPACE = 'node-builtin-via-require';

const builtinsViaRequire: BundlePlugin = {
  name: 'builtins-via-require',
  setup(build) {
    build.onResolve({ filter: /^(node:)?[a-z_/]+$/ }, ({ path, namespace, kind }) => {
      if (!NODE_BUILTINS.has(path)) return undefined;
      // The shim's own require, and any require() in the bundled code, stay a plain require of the built-in.
      if (namespace === BUILTIN_NAMESPACE || kind === 'require-call') return { path, external: true };
      return { path, namespace: BUILTIN_NAMESPACE };
    });
    build.onLoad({ filter: /.*/, namespace: BUILTIN_NAMESPACE }, ({ path }) => ({
      contents: `module.exports = require(${JSON.stringify(path)});`,
      loader: 'js',
    }));
  },
};

/** The esbuild plugins of every handler bundle (see the decisions above). */
export function handlerBundlePlugins(): BundlePlugin[] {
  return [sdkSchemaKeys, builtinsViaRequire];
}

/**
 * The esbuild options of a handler bundle. They include plugins, so they need esbuild's asynchronous `build`
 * (`buildSync` refuses plugins): `bundleHandler` below does that from synchronous code.
 */
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
    plugins: handlerBundlePlugins(),
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
  build(
    options: Record<string, unknown>,
  ): Promise<{ errors: unknown[]; metafile?: { inputs: Record<string, unknown> } }>;
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

/** Bundles one handler entry (absolute path) into `outdir/index.mjs` (+ `.map`). Rejects on any esbuild error. */
export async function bundleHandlerAsync(entry: string, outdir: string, projectRoot: string): Promise<void> {
  const result = await loadEsbuild(projectRoot).build(handlerBuildOptions(entry, outdir, projectRoot));
  if (result.errors.length > 0) throw new Error(`esbuild failed for ${entry}`);
}

/**
 * Bundles several handlers (`name` -> absolute entry) in one build into `outdir/<name>/index.mjs` (+ `.map`);
 * resolves to the absolute paths of every file the bundles were built from.
 */
export async function bundleHandlersAsync(
  entries: Readonly<Record<string, string>>,
  outdir: string,
  projectRoot: string,
): Promise<string[]> {
  const result = await loadEsbuild(projectRoot).build({
    ...handlersBuildOptions(entries, outdir, projectRoot),
    metafile: true,
  });
  if (result.errors.length > 0) throw new Error(`esbuild failed for ${Object.values(entries).join(', ')}`);
  // Files only: plugin namespaces (`node-builtin-via-require:http`) are not on disk.
  return Object.keys(result.metafile?.inputs ?? {})
    .filter((input) => !/^[a-z-]+:/.test(input))
    .map((input) => resolve(projectRoot, input));
}

/** Runs an exported async function of this module in a worker; the result arrives on `port`, then `signal` flips. */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { moduleUrl, fn, args, port, signal } = workerData;
import(moduleUrl)
  .then((m) => m[fn](...args))
  .then(
    (value) => port.postMessage({ ok: true, value }),
    (e) => port.postMessage({ ok: false, message: e instanceof Error ? e.message : String(e) }),
  )
  .finally(() => { Atomics.store(signal, 0, 1); Atomics.notify(signal, 0); });
`;

/** How long a synth waits for one build. */
const BUNDLE_TIMEOUT_MS = 180_000;

/**
 * Calls `fn` of this module in a worker thread and waits for it (CDK's local bundling is synchronous, esbuild's
 * plugins need its asynchronous API). The worker loads this module; from the TypeScript source that needs a
 * Node that strips types (>= 22.18; the repository runs on Node 24).
 */
function runInWorker(fn: 'bundleHandlerAsync' | 'bundleHandlersAsync', args: unknown[]): unknown {
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { moduleUrl: import.meta.url, fn, args, port: port2, signal },
    transferList: [port2],
  });
  try {
    const waited = Atomics.wait(signal, 0, 0, BUNDLE_TIMEOUT_MS);
    const reply = receiveMessageOnPort(port1)?.message as
      | { ok: boolean; value?: unknown; message?: string }
      | undefined;
    if (waited === 'timed-out' || reply === undefined) {
      throw new Error(`bundling did not finish within ${BUNDLE_TIMEOUT_MS / 1000} s`);
    }
    if (!reply.ok) throw new Error(reply.message ?? 'esbuild failed');
    return reply.value;
  } finally {
    port1.close();
    void worker.terminate();
  }
}

/**
 * One build of every handler module of a folder, kept while a synth asks for them one by one. It lives next to
 * the bundling folder CDK hands out, inside the cloud assembly folder (`cdk.out`), so it goes with that folder
 * even when the process is killed; a normal exit removes it.
 */
interface HandlerBatch {
  readonly outdir: string;
  readonly names: ReadonlySet<string>;
  /** Every input file and its modification time when built: a changed input makes the batch stale. */
  readonly inputs: ReadonlyMap<string, number>;
}

const batches = new Map<string, HandlerBatch>();

function modifiedMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Number.NaN;
  }
}

function batchOf(entry: string, bundleDir: string, projectRoot: string): HandlerBatch | undefined {
  const folder = dirname(entry);
  const assembly = dirname(bundleDir);
  const key = `${projectRoot}\0${folder}\0${assembly}`;
  const known = batches.get(key);
  if (
    known !== undefined &&
    existsSync(known.outdir) &&
    [...known.inputs].every(([file, ms]) => Object.is(modifiedMs(file), ms))
  ) {
    return known;
  }
  if (known !== undefined) rmSync(known.outdir, { recursive: true, force: true });
  batches.delete(key);
  const entries = Object.fromEntries(
    readdirSync(folder)
      .filter((file) => /\.m?ts$/.test(file) && !file.endsWith('.d.ts'))
      .filter((file) => statSync(join(folder, file)).isFile())
      .map((file) => [file.replace(/\.m?ts$/, ''), join(folder, file)]),
  );
  const outdir = mkdtempSync(join(assembly, '.handler-bundles-'));
  process.once('exit', () => rmSync(outdir, { recursive: true, force: true }));
  try {
    const inputs = runInWorker('bundleHandlersAsync', [entries, outdir, projectRoot]) as string[];
    const batch: HandlerBatch = {
      outdir,
      names: new Set(Object.keys(entries)),
      inputs: new Map(inputs.map((file) => [file, modifiedMs(file)])),
    };
    batches.set(key, batch);
    return batch;
  } catch {
    // Some module of the folder does not build: bundle the entry alone (which reports its own errors).
    rmSync(outdir, { recursive: true, force: true });
    return undefined;
  }
}

/** Copies a bundle and its source map, with the map's source paths made relative to the new place again. */
function copyBundle(fromDir: string, toDir: string): void {
  mkdirSync(toDir, { recursive: true });
  copyFileSync(join(fromDir, HANDLER_FILE), join(toDir, HANDLER_FILE));
  const map = JSON.parse(readFileSync(join(fromDir, `${HANDLER_FILE}.map`), 'utf8')) as { sources: string[] };
  map.sources = map.sources.map((source) =>
    /^[a-z-]+:/.test(source) ? source : relative(toDir, resolve(fromDir, source)).split('\\').join('/'),
  );
  writeFileSync(join(toDir, `${HANDLER_FILE}.map`), JSON.stringify(map));
}

/**
 * Bundles one handler entry (absolute path) into `outdir/index.mjs` (+ `.map`), synchronously, as CDK's local
 * bundling asks for it. The first request for a handler folder bundles every handler module in it in one
 * esbuild build (the same bundles as one build each: each output is complete; the SDK is parsed once instead
 * of once per function) and later requests copy from it while none of its input files has changed. Throws on
 * any esbuild error.
 */
export function bundleHandler(entry: string, outdir: string, projectRoot: string): void {
  const name = basename(entry).replace(/\.m?ts$/, '');
  const batch = batchOf(entry, outdir, projectRoot);
  if (batch?.names.has(name)) {
    copyBundle(join(batch.outdir, name), outdir);
    return;
  }
  runInWorker('bundleHandlerAsync', [entry, outdir, projectRoot]);
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
