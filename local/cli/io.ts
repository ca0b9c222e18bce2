/** Where a command writes and what it reads from its environment: the process's own, or a test's fakes. */
import type { OutputStream } from './display.ts';

export interface CliIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Calls `handler` once on Ctrl-C; returns a function that stops listening.
   * @default SIGINT of this process
   */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/** Ctrl-C as SIGINT of this process. */
export function onSigint(handler: () => void): () => void {
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}

export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env, onInterrupt: onSigint };
}
