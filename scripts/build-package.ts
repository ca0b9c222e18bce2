/**
 * `npm run build` (also `prepack`, so `npm pack` and `npm publish` always ship a fresh build): the installable
 * package in dist/.
 *
 * 1. `tsc -p tsconfig.build.json`: lib/ and the parts of lambdas/ it imports, as JavaScript (ESM) with `.d.ts`.
 * 2. Import specifiers rewritten for Node and TypeScript consumers: the `#core/…`-style subpath imports (which
 *    point at TypeScript sources in this repository) become relative `.js` paths, and the declarations' relative
 *    `.ts` imports become `.js`.
 * 3. Every Lambda handler bundled with the one esbuild configuration (lib/handler-bundle.ts) into
 *    `dist/handlers/<step>/index.mjs`, which the construct uses as it is when installed: consumers need neither
 *    esbuild nor this repository's lock file.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { STEP_IDS, STEPS } from '../lambdas/workflow/steps.ts';
import { HANDLER_FILE, handlersBuildOptions } from '../lib/handler-bundle.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');

/** `#core/…` -> `lambdas/core/…` (the `imports` map of package.json). */
const SUBPATHS: Readonly<Record<string, string>> = {
  '#core/': 'lambdas/core/',
  '#atlas/': 'lambdas/atlas/',
  '#aws/': 'lambdas/aws/',
  '#workflow/': 'lambdas/workflow/',
};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** Rewrites the module specifiers of one emitted file; returns the specifiers it could not place. */
export function rewriteSpecifiers(file: string, text: string): { text: string; unresolved: string[] } {
  const unresolved: string[] = [];
  const out = text.replace(
    /(from\s+|import\(\s*|import\s+)(['"])([^'"]+)\2/g,
    (whole, lead: string, quote: string, spec: string) => {
      const alias = Object.keys(SUBPATHS).find((a) => spec.startsWith(a));
      if (alias !== undefined) {
        const target = join(DIST, SUBPATHS[alias]!, `${spec.slice(alias.length)}.js`);
        let rel = relative(dirname(file), target).split('\\').join('/');
        if (!rel.startsWith('.')) rel = `./${rel}`;
        return `${lead}${quote}${rel}${quote}`;
      }
      if (spec.startsWith('#')) unresolved.push(spec);
      if (spec.startsWith('.') && spec.endsWith('.ts') && !spec.endsWith('.d.ts')) {
        return `${lead}${quote}${spec.slice(0, -3)}.js${quote}`;
      }
      return whole;
    },
  );
  return { text: out, unresolved };
}

async function main(): Promise<void> {
  const started = performance.now();
  rmSync(DIST, { recursive: true, force: true });

  const tsc = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (tsc.status !== 0) throw new Error(`tsc -p tsconfig.build.json failed (exit ${tsc.status})`);

  const unresolved: string[] = [];
  for (const file of filesUnder(DIST).filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
    const result = rewriteSpecifiers(file, readFileSync(file, 'utf8'));
    writeFileSync(file, result.text);
    unresolved.push(...result.unresolved.map((spec) => `${relative(ROOT, file)}: ${spec}`));
  }
  if (unresolved.length > 0) throw new Error(`unmapped subpath imports:\n${unresolved.join('\n')}`);

  // One build for all handlers: the same bundles as one build each, but the SDK is parsed once.
  const entries = Object.fromEntries(STEP_IDS.map((id) => [id, join(ROOT, STEPS[id].entry)]));
  await esbuild.build(handlersBuildOptions(entries, join(DIST, 'handlers'), ROOT) as esbuild.BuildOptions);
  for (const id of STEP_IDS) statSync(join(DIST, 'handlers', id, HANDLER_FILE));
  console.log(
    `dist/: lib and declarations, ${STEP_IDS.length} handler bundles (${Math.round(performance.now() - started)} ms)`,
  );
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
