/** Helpers for the CLI tests: a fake terminal or pipe, and reading the progress frames it received. */
import type { OutputStream } from '../../local/cli/display.ts';
import { stripAnsi } from '../../local/cli/display.ts';

/** A fake terminal (isTTY, columns) or pipe that records what is written. */
export class FakeStream implements OutputStream {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY = false,
    readonly columns?: number,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  text(): string {
    return this.chunks.join('');
  }
}

/** The progress frames in `text`: each text after a carriage return, up to the next line break, unstyled. */
export function framesOf(text: string): string[] {
  return text
    .split('\r')
    .slice(1)
    .map((s) => stripAnsi(s.split('\n')[0] as string))
    .filter((s) => s.trim() !== '');
}

/** The escape character, for asserting on (or against) terminal control sequences. */
export const ESC = String.fromCharCode(27);
