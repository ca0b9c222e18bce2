/**
 * The CLI's option tables and their parser.
 *
 * Each command declares its options once, as a table (`OptionSpec[]`): the parser, the help text and the
 * "applies to the built-in world only" check all read it, so adding an option is adding one row.
 * The parser is ours rather than `node:util` parseArgs so that errors read plainly: a misspelled option gets
 * a "did you mean", and a value that starts with a dash (`--time-scale -5`) is taken as the value and then
 * judged by the option's own check, instead of being called an ambiguous argument.
 */

/** Bad options or input: exit code 2, nothing ran. `issues` lists a request's bad fields, when that is the cause. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly issues: readonly { readonly field: string; readonly problem: string }[];

  constructor(message: string, issues: readonly { field: string; problem: string }[] = []) {
    super(message);
    this.issues = issues;
  }
}

export interface OptionSpec {
  /** Long name, without the leading `--`. */
  readonly name: string;
  readonly short?: string;
  readonly type: 'string' | 'boolean';
  /** Placeholder of the value in the help, e.g. `<file>`. */
  readonly value?: string;
  /** Help text; a `\n` starts a continuation line. */
  readonly help: string;
  /** Refused with `--atlas-url` (it changes the built-in world, which an external API does not have). */
  readonly builtInWorldOnly?: boolean;
}

export type OptionValues = Record<string, string | boolean | undefined>;

/** Optimal string alignment distance (Levenshtein plus transpositions): `fualt` is 1 from `fault`. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known names closest to `given` (at most a third of its length away, at least 1), best first. */
export function closest(given: string, known: readonly string[]): string[] {
  const limit = Math.max(1, Math.floor(given.length / 3));
  return known
    .map((name) => ({ name, distance: editDistance(given, name) }))
    .filter((c) => c.distance <= limit || (given.length >= 3 && c.name.startsWith(given)))
    .sort((x, y) => x.distance - y.distance || x.name.localeCompare(y.name))
    .map((c) => c.name);
}

/** ", did you mean …?" for an unknown name, or "" when nothing is close. */
export function didYouMean(given: string, known: readonly string[], prefix = ''): string {
  const best = closest(given, known);
  if (best.length === 0) return '';
  return `; did you mean ${best
    .slice(0, 2)
    .map((n) => `${prefix}${n}`)
    .join(' or ')}?`;
}

/** Parses `argv` against `specs`. Throws UsageError with a plain message for anything it cannot take. */
export function parseOptions(argv: readonly string[], specs: readonly OptionSpec[]): OptionValues {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const values: OptionValues = {};
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] as string;
    let spec: OptionSpec | undefined;
    let inline: string | undefined;
    if (token.startsWith('--') && token.length > 2) {
      const eq = token.indexOf('=');
      const name = eq === -1 ? token.slice(2) : token.slice(2, eq);
      if (eq !== -1) inline = token.slice(eq + 1);
      spec = byName.get(name);
      if (!spec) {
        throw new UsageError(
          `unknown option --${name}${didYouMean(
            name,
            specs.map((s) => s.name),
            '--',
          )}`,
        );
      }
    } else if (/^-[A-Za-z]$/.test(token)) {
      spec = byShort.get(token.slice(1));
      if (!spec) throw new UsageError(`unknown option ${token}`);
    } else {
      throw new UsageError(
        `unexpected argument "${token}": options start with --` +
          (token.startsWith('-') ? '' : ' (to give npm options to the CLI, put them after npm start --)'),
      );
    }
    if (spec.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${spec.name} takes no value, got "${inline}"`);
      values[spec.name] = true;
      continue;
    }
    if (inline === undefined) {
      const next = argv[i + 1];
      // A following option is a forgotten value; a single dash (say, -5) is a value for the option to judge.
      if (next === undefined || (next.startsWith('--') && next.length > 2) || /^-[A-Za-z]$/.test(next)) {
        throw new UsageError(`--${spec.name} needs a value ${spec.value ?? '<value>'}`);
      }
      inline = next;
      i += 1;
    }
    values[spec.name] = inline;
  }
  return values;
}

/** Splits `text` into lines of at most `width` characters at spaces (`\n` forces a break). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > width) {
        lines.push(line);
        line = word;
      } else line = line === '' ? word : `${line} ${word}`;
    }
    lines.push(line);
  }
  return lines;
}

/** The options part of a help text, generated from the table, within `totalWidth` columns. */
export function optionsHelp(specs: readonly OptionSpec[], totalWidth = 100): string {
  const heads = specs.map(
    (s) => `  ${s.short ? `-${s.short}, ` : ''}--${s.name}${s.value ? ` ${s.value}` : ''}`,
  );
  const width = Math.min(34, Math.max(...heads.map((h) => h.length)) + 2);
  const lines: string[] = [];
  specs.forEach((s, i) => {
    const head = heads[i] as string;
    const [first = '', ...rest] = wrap(s.help, totalWidth - width);
    if (head.length + 1 > width) lines.push(head, `${' '.repeat(width)}${first}`);
    else lines.push(`${head.padEnd(width)}${first}`);
    for (const more of rest) lines.push(`${' '.repeat(width)}${more}`);
  });
  return lines.join('\n');
}

/** A number option: finite and at least `min`; `exclusiveMin` also refuses `min` itself. */
export function numberOption(
  name: string,
  raw: string | boolean | undefined,
  fallback: number,
  { min = 0, exclusiveMin = false }: { min?: number; exclusiveMin?: boolean } = {},
): number {
  if (raw === undefined || typeof raw === 'boolean') return fallback;
  const n = Number(raw);
  const ok = raw.trim() !== '' && Number.isFinite(n) && (exclusiveMin ? n > min : n >= min);
  if (!ok) throw new UsageError(`--${name} must be a number ${exclusiveMin ? '>' : '>='} ${min}, got ${raw}`);
  return n;
}

/** A TCP port option (0 = any free port). */
export function portOption(name: string, raw: string | boolean | undefined): number | undefined {
  if (raw === undefined || typeof raw === 'boolean') return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535)
    throw new UsageError(`--${name} must be a port from 0 to 65535, got ${raw}`);
  return n;
}

/** One of `allowed`, with a "did you mean" when the value is close to one. */
export function choiceOption<T extends string>(
  name: string,
  raw: string | boolean | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (raw === undefined || typeof raw === 'boolean') return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  const best = closest(raw, allowed)[0];
  throw new UsageError(
    `--${name} must be one of ${allowed.join(', ')}, got "${raw}"${best ? ` (did you mean ${best}?)` : ''}`,
  );
}
