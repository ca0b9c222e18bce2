/**
 * What `npm start` prints while a run goes: one line per state, a status note under it, and during waits a
 * progress bar that is redrawn in place.
 *
 * The bar is drawn only on a terminal (never into a pipe or a file), always fits in one line of the
 * terminal's width (a line that wraps cannot be redrawn with `\r`, and leaves a trail of broken bars), and
 * colour is used only on a terminal and never when NO_COLOR is set (https://no-color.org).
 */

/** The part of a writable stream the display uses (process.stdout, or a test's fake terminal). */
export interface OutputStream {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export type Tone = 'good' | 'bad' | 'warn' | 'dim' | 'strong';

const SGR: Readonly<Record<Tone, [string, string]>> = {
  good: ['\u001b[32m', '\u001b[39m'],
  bad: ['\u001b[31m', '\u001b[39m'],
  warn: ['\u001b[33m', '\u001b[39m'],
  dim: ['\u001b[2m', '\u001b[22m'],
  strong: ['\u001b[1m', '\u001b[22m'],
};

/** Erase from the cursor to the end of the line. */
const ERASE_LINE_END = '\u001b[K';

/** Removes ANSI escape sequences (for measuring and for tests). */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching the escape character is the point
  return text.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
}

/** Whether colour may be used on `out` given the environment. */
export function colourAllowed(out: OutputStream, env: Readonly<Record<string, string | undefined>>): boolean {
  if (out.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

/** Virtual milliseconds as hh:mm:ss. */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
}

function truncate(text: string, max: number): string {
  if (max <= 0) return '';
  if (text.length <= max) return text;
  return max === 1 ? '…' : `${text.slice(0, max - 1)}…`;
}

/**
 * The text of one progress frame, at most `columns - 1` characters (the last column is left free: some
 * terminals wrap when it is written). Gives up bar length, then the indent, then the label's tail,
 * then the bar, in that order, as the terminal gets narrower.
 */
export function progressFrame(
  label: string,
  doneSeconds: number,
  totalSeconds: number,
  columns: number,
): string {
  const room = Math.max(0, Math.floor(columns) - 1);
  const frac = totalSeconds <= 0 ? 1 : Math.min(1, Math.max(0, doneSeconds / totalSeconds));
  const counter = `${Math.round(frac * totalSeconds)}/${totalSeconds} s`;
  const bar = (width: number) => {
    const filled = Math.round(frac * width);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  };
  const MIN_BAR = 5;
  const MAX_BAR = 30;
  const fixedWidth = (indent: string) => indent.length + 1 + 2 + 1 + counter.length;
  const indents = ['    ', ''];
  for (const indent of indents) {
    // indent + label + ' ' + [bar] + ' ' + counter
    const barWidth = Math.min(MAX_BAR, room - fixedWidth(indent) - label.length);
    if (barWidth >= MIN_BAR) return `${indent}${label} ${bar(barWidth)} ${counter}`;
  }
  for (const indent of indents) {
    const labelRoom = room - fixedWidth(indent) - MIN_BAR;
    if (labelRoom >= 8) return `${indent}${truncate(label, labelRoom)} ${bar(MIN_BAR)} ${counter}`;
  }
  // Too narrow for a bar: the counter, then as much of the label as fits.
  if (counter.length >= room) return truncate(counter, room);
  return `${truncate(label, room - counter.length - 1)} ${counter}`.slice(0, room);
}

export class Display {
  readonly tty: boolean;
  readonly colour: boolean;
  private progressShown = false;

  constructor(
    private readonly out: OutputStream,
    env: Readonly<Record<string, string | undefined>> = {},
  ) {
    this.tty = out.isTTY === true;
    this.colour = colourAllowed(out, env);
  }

  /** The terminal's width (80 when the stream does not say). */
  get columns(): number {
    const c = this.out.columns;
    return typeof c === 'number' && c > 0 ? c : 80;
  }

  /** `text` in a tone, when colour is allowed. */
  paint(text: string, tone: Tone): string {
    if (!this.colour || text === '') return text;
    const [on, off] = SGR[tone];
    return `${on}${text}${off}`;
  }

  /** Prints a line (clearing a progress bar first). */
  line(text = ''): void {
    this.clearProgress();
    this.out.write(`${text}\n`);
  }

  /** Draws (or redraws) the progress bar; nothing unless the output is a terminal. */
  progress(label: string, doneSeconds: number, totalSeconds: number): void {
    if (!this.tty) return;
    this.out.write(`\r${progressFrame(label, doneSeconds, totalSeconds, this.columns)}${ERASE_LINE_END}`);
    this.progressShown = true;
  }

  /** Removes the progress bar, if one is drawn. */
  clearProgress(): void {
    if (!this.progressShown) return;
    this.out.write(`\r${ERASE_LINE_END}`);
    this.progressShown = false;
  }
}

const GOOD_WORDS = new Set(['AVAILABLE', 'available', 'done', 'SUCCEEDED', 'pendingAcceptance', 'RESERVED']);
const BAD_WORDS = new Set(['FAILED', 'failed', 'REJECTED', 'rejected', 'expired', 'DELETED', 'deleted']);

/** Colours the status words of a note (AVAILABLE green, FAILED red, …). */
export function paintStatusWords(display: Display, text: string): string {
  if (!display.colour) return text;
  return text.replace(/\b[A-Za-z_]+\b/g, (word) =>
    GOOD_WORDS.has(word)
      ? display.paint(word, 'good')
      : BAD_WORDS.has(word)
        ? display.paint(word, 'bad')
        : word,
  );
}

/** A short status note from a step's result: Atlas status, AWS state, what a check saw. */
export function statusNote(result: unknown): string {
  if (!result || typeof result !== 'object') return '';
  const r = result as Record<string, unknown>;
  if ('observed' in r && typeof r.done === 'boolean') {
    const seen = statusNote(r.observed);
    const next = r.done ? 'done' : `next check in ${String(r.waitSeconds)} s`;
    return seen ? `${seen}; ${next}` : next;
  }
  // Inspect connection (delete, check): what the check saw; Summarize delete: its outcome.
  const inspection = r.inspection as
    | {
        report?: {
          status?: unknown;
          drift?: { kind?: unknown }[];
          inProgress?: { executionArn?: unknown } | null;
        };
      }
    | undefined;
  if (typeof inspection?.report?.status === 'string') {
    const drift = (inspection.report.drift ?? []).map((d) => String(d.kind));
    const holder = inspection.report.inProgress?.executionArn;
    const why = typeof holder === 'string' ? [`held by ${holder}`] : drift;
    return `${inspection.report.status}${why.length > 0 ? ` (${why.join(', ')})` : ''}`;
  }
  if (r.action === 'delete' && typeof r.outcome === 'string') return r.outcome;
  const parts: string[] = [];
  if (typeof r.atlasStatus === 'string') parts.push(`Atlas ${r.atlasStatus}`);
  if (typeof r.state === 'string') parts.push(`AWS ${r.state}`);
  if (typeof r.vpcEndpointId === 'string') parts.push(r.vpcEndpointId);
  else if (typeof r.id === 'string') parts.push(r.id);
  // A side this request did not create (another request's, or there before): it is used, never deleted.
  if (r.created === false) parts.push("adopted, not this request's");
  if (typeof r.srvConnectionString === 'string') parts.push(r.srvConnectionString);
  if (Array.isArray(r.remaining)) parts.push(`${r.remaining.length} resource(s) still being deleted`);
  if (typeof r.error === 'string' && typeof r.cause === 'string') parts.push(r.error);
  if (r.request && typeof r.request === 'object') {
    const req = r.request as Record<string, unknown>;
    parts.push(`${String(req.kind)} ${String(req.instanceName)} in project ${String(req.groupId)}`);
  }
  return parts.join(', ');
}
