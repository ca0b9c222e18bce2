/** Reading the execution input: `--input <file>`, `--event <file>`, or the example request of a kind. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { UsageError } from './options.ts';

/** The example request file for `kind`, as a file system path (decoded, unlike `URL.pathname`). */
export function exampleRequestFile(kind: string, moduleUrl: string = import.meta.url): string {
  return fileURLToPath(new URL(`../../examples/${kind}-request.json`, moduleUrl));
}

const READ_PROBLEMS: Readonly<Record<string, string>> = {
  ENOENT: 'file not found',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOTDIR: 'file not found (a part of the path is not a directory)',
};

/** Reads and parses a JSON file named by `--<option>`, with plain messages for what goes wrong. */
export function readJsonFile(option: string, file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new UsageError(`--${option} ${file}: ${READ_PROBLEMS[code] ?? 'cannot be read'}`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`--${option} ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/** JSON with object keys sorted at every level: the same document always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Request fields that say what to do with a connection or how patiently, not which connection it is: they
 * do not enter the derived request id, so `--action delete` (or a changed budget) with the same input file
 * names the same connection.
 */
export const NON_IDENTITY_FIELDS = [
  'requestId',
  'action',
  'repair',
  'rollbackOnFailure',
  'phaseBudgetSeconds',
];

/**
 * The request id of a local run against an external API when the input sets none: derived from the input
 * (its identity fields, key order ignored), so running the same input again, for instance after Ctrl-C,
 * converges on what the first run created instead of creating a second connection.
 */
export function derivedRequestId(input: unknown): string {
  const identity: Record<string, unknown> = {};
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    for (const [k, v] of Object.entries(input)) if (!NON_IDENTITY_FIELDS.includes(k)) identity[k] = v;
  }
  return `local-${createHash('sha256').update(canonicalJson(identity)).digest('hex').slice(0, 16)}`;
}

/**
 * The execution input for `--action` (and `--repair`): the file's request with the action set (removed for
 * create). A create's output works as the file too: delete and check accept its fields.
 */
export function withAction(input: unknown, action: 'create' | 'delete' | 'check', repair: boolean): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  if (action === 'create') delete out.action;
  else out.action = action;
  if (repair) out.repair = true;
  return out;
}
