/** Where a command writes and what it reads from its environment: the process's own, or a test's fakes. */
import type { OutputStream } from './display.ts';

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
