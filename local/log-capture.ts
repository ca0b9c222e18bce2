/**
 * Collects what the handlers write (their Powertools log lines) per execution instead of printing it: the
 * tests run the engine at DEBUG and scan every line for secrets without flooding the terminal.
 *
 * The process's `stdout` and `stderr` writes are routed, once, through an AsyncLocalStorage: a write made
 * inside {@link collectingLogs} (a handler invocation of a run that collects) goes to that run's collector;
 * every other write goes on to the stream as before. Concurrent runs each get their own lines.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

const sink = new AsyncLocalStorage<(text: string) => void>();
/** Marks the routing write, so it is installed again when someone replaced the stream's write since. */
const ROUTED = Symbol('routed through the log collector');

function install(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if ((stream.write as { [ROUTED]?: true })[ROUTED]) continue;
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      const collect = sink.getStore();
      if (collect === undefined) return original(chunk, ...rest);
      collect(
        typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk),
      );
      // A write callback (the last function argument) still runs, as the stream would run it.
      const callback = rest.find((r): r is () => void => typeof r === 'function');
      if (callback) queueMicrotask(callback);
      return true;
    }) as typeof stream.write;
    (stream.write as { [ROUTED]?: true })[ROUTED] = true;
  }
}

/** Runs `fn` with its `stdout`/`stderr` writes going to `lines` (one entry per line) instead of the streams. */
export function collectingLogs<T>(lines: string[], fn: () => T): T {
  install();
  return sink.run((text) => {
    for (const line of text.split('\n')) if (line !== '') lines.push(line);
  }, fn);
}
