/**
 * The handler bundle's own pieces: the SDK schema-key rewrite (what it changes and what it leaves alone) and
 * the synchronous bundling entry point CDK calls (esbuild's asynchronous build run in a worker thread).
 * The bundles themselves are checked in ./synth-bundled.test.ts (size, imports, loading, a run against the world).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleHandler, literalSchemaKeys, SDK_SCHEMA_FILE } from '../../lib/handler-bundle.ts';
import { PROJECT_ROOT } from '../../lib/private-endpoint-workflow.ts';

describe('literalSchemaKeys', () => {
  it('writes computed keys of top-level string constants as the literals they stand for', () => {
    const source = [
      'const _e = "error";',
      'const _hE = "httpError";',
      'const _xN = "xmlName";',
      'const n0 = "com.amazonaws.ec2";',
      'export var A$ = [3, n0, _e, { [_e]: _c, [_hE]: 400 }, [_xN], [0]];',
      'export var B$ = [3, n0, _e, 0, ["x"], [[0, { [_xN]: _e }]]];',
    ].join('\n');
    const { text, rewritten } = literalSchemaKeys(source);
    expect(rewritten).toBe(3);
    expect(text).toContain('{ "error": _c, "httpError": 400 }');
    expect(text).toContain('[0, { "xmlName": _e }]');
    // Array elements and values are left as they are.
    expect(text).toContain('[_xN], [0]');
  });

  it('leaves keys that are not top-level string constants, and anything that is not an object key', () => {
    const source = [
      'const _a = "a";',
      'let _b = "b";',
      'const _n = 3;',
      'const o = { [_b]: 1, [_n]: 2, [_unknown]: 3 };',
      'const t = flag ? [_a]: other;',
    ].join('\n');
    const { text, rewritten } = literalSchemaKeys(source);
    expect(rewritten).toBe(0);
    expect(text).toBe(source);
  });

  it('applies to the SDK clients generated schema files only', () => {
    const nm = '/app/node_modules';
    expect(SDK_SCHEMA_FILE.test(`${nm}/@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js`)).toBe(true);
    expect(
      SDK_SCHEMA_FILE.test(`${nm}/@aws-sdk/nested-clients/dist-es/submodules/sts/schemas/schemas_0.js`),
    ).toBe(true);
    expect(SDK_SCHEMA_FILE.test(`${nm}/@aws-sdk/client-ec2/dist-cjs/schemas/schemas_0.js`)).toBe(false);
    expect(SDK_SCHEMA_FILE.test(`${nm}/@smithy/core/dist-es/submodules/schema/schemas/sentinels.js`)).toBe(
      false,
    );
  });

  it('every schema file the handlers bundle still has keys to rewrite (the SDK has not changed its output)', () => {
    // If a future SDK writes literal keys itself, this fails and the plugin can go.
    const file = join(PROJECT_ROOT, 'node_modules/@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js');
    expect(literalSchemaKeys(readFileSync(file, 'utf8')).rewritten).toBeGreaterThan(1000);
  });
});

describe('bundleHandler (synchronous, as CDK local bundling calls it)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ape-bundle-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('bundles an entry into index.mjs with its source map', () => {
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      "import { createHash } from 'node:crypto';\nexport const handler = async () => createHash('sha256').digest('hex');\n",
    );
    bundleHandler(entry, join(dir, 'ok'), PROJECT_ROOT);
    const text = readFileSync(join(dir, 'ok', 'index.mjs'), 'utf8');
    expect(text).toContain('sourceMappingURL=index.mjs.map');
    // The built-in comes through require (the plugin), not an ESM import.
    expect(text).toContain('("node:crypto")');
    expect(text).not.toMatch(/from\s*["']node:crypto["']/);
    expect(readFileSync(join(dir, 'ok', 'index.mjs.map'), 'utf8')).toContain('"mappings"');
  });

  it('bundles the folder once, next to the bundling folder, and again after a source changed', () => {
    const entry = join(dir, 'entry.ts');
    const other = join(dir, 'other.ts');
    writeFileSync(other, "export const handler = async () => 'other v1';\n");
    bundleHandler(other, join(dir, 'other-1'), PROJECT_ROOT);
    expect(readFileSync(join(dir, 'other-1', 'index.mjs'), 'utf8')).toContain('other v1');
    // Both modules of the folder came from one build, kept in the assembly folder (not in the OS temp folder).
    const kept = readdirSync(dir).filter((name) => name.startsWith('.handler-bundles-'));
    expect(kept.length).toBeGreaterThan(0);
    bundleHandler(entry, join(dir, 'entry-again'), PROJECT_ROOT);
    expect(readFileSync(join(dir, 'entry-again', 'index.mjs'), 'utf8')).toContain('sha256');
    // A changed source is bundled anew (its modification time moved).
    writeFileSync(other, "export const handler = async () => 'other v2';\n");
    utimesSync(other, new Date(), new Date(Date.now() + 5_000));
    bundleHandler(other, join(dir, 'other-2'), PROJECT_ROOT);
    expect(readFileSync(join(dir, 'other-2', 'index.mjs'), 'utf8')).toContain('other v2');
    rmSync(other);
  });

  it("throws esbuild's error for an entry that does not build", () => {
    const entry = join(dir, 'broken.ts');
    writeFileSync(entry, "import { nothing } from './missing.ts';\nexport const handler = nothing;\n");
    expect(() => bundleHandler(entry, join(dir, 'broken'), PROJECT_ROOT)).toThrow(/missing\.ts/);
  });
});
