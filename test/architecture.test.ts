/**
 * The dependency rules of the house, checked on the source: which layer may import which, and no circles
 * inside lambdas/. A new import that breaks a rule fails here with the file and the import.
 *
 * Layers of lambdas/ (an arrow may only point down):
 *   handlers/  -> workflow/, atlas/, aws/, core/
 *   workflow/  -> atlas/, aws/, core/
 *   atlas/, aws/ -> core/ (and their own files)
 *   core/      -> nothing but core/
 * lib/ may import lambdas/core and lambdas/workflow (names and the steps table), nothing else of lambdas/.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ALIASES: Record<string, string> = {
  '#core/': 'lambdas/core/',
  '#atlas/': 'lambdas/atlas/',
  '#aws/': 'lambdas/aws/',
  '#workflow/': 'lambdas/workflow/',
};

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(path));
    else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

/** Repo-relative targets of a file's static imports and re-exports (type-only ones included). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const specs = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
  const out: string[] = [];
  for (const spec of specs) {
    const alias = Object.keys(ALIASES).find((a) => spec.startsWith(a));
    if (alias) out.push(`${ALIASES[alias]}${spec.slice(alias.length)}.ts`.replace(/\.ts\.ts$/, '.ts'));
    else if (spec.startsWith('.')) out.push(normalize(join(dirname(file), spec)));
  }
  return out.map((p) => p.split('\\').join('/'));
}

function layerOf(path: string): string {
  const parts = path.split('/');
  return parts[0] === 'lambdas' ? `lambdas/${parts[1]}` : parts[0]!;
}

const MAY_IMPORT: Record<string, readonly string[]> = {
  'lambdas/core': ['lambdas/core'],
  'lambdas/atlas': ['lambdas/core', 'lambdas/atlas'],
  'lambdas/aws': ['lambdas/core', 'lambdas/aws'],
  'lambdas/workflow': ['lambdas/core', 'lambdas/atlas', 'lambdas/aws', 'lambdas/workflow'],
  'lambdas/handlers': [
    'lambdas/core',
    'lambdas/atlas',
    'lambdas/aws',
    'lambdas/workflow',
    'lambdas/handlers',
  ],
};

describe('dependency rules', () => {
  const lambdaFiles = tsFiles('lambdas');

  it('every lambdas/ layer imports only the layers below it', () => {
    const broken: string[] = [];
    for (const file of lambdaFiles) {
      const allowed = MAY_IMPORT[layerOf(file)];
      expect(allowed, `${file} is in no known layer`).toBeDefined();
      for (const target of importsOf(file)) {
        if (!allowed!.includes(layerOf(target))) broken.push(`${file} imports ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('lib/ imports only lambdas/core and lambdas/workflow of the runtime', () => {
    const broken: string[] = [];
    for (const file of tsFiles('lib')) {
      for (const target of importsOf(file)) {
        const layer = layerOf(target);
        if (layer.startsWith('lambdas/') && layer !== 'lambdas/core' && layer !== 'lambdas/workflow') {
          broken.push(`${file} imports ${target}`);
        }
        if (layer === 'local' || layer === 'test') broken.push(`${file} imports ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('lambdas/ has no import circles', () => {
    const graph = new Map(lambdaFiles.map((f) => [f, importsOf(f).filter((t) => t.startsWith('lambdas/'))]));
    const state = new Map<string, 'open' | 'done'>();
    const circles: string[] = [];
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        circles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of graph.get(file) ?? []) visit(next, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of lambdaFiles) visit(file, []);
    expect(circles).toEqual([]);
  });

  it('the import reader sees the imports it checks (a rule that reads nothing cannot fail)', () => {
    expect(importsOf('lambdas/atlas/kinds.ts')).toEqual(
      expect.arrayContaining(['lambdas/core/state.ts', 'lambdas/atlas/dedicated.ts']),
    );
    expect(relative(root, join(root, 'lambdas'))).toBe('lambdas');
  });
});
