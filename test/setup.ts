import 'aws-sdk-client-mock-vitest/extend';
/**
 * Secret hygiene, suite-wide: every line a test file writes (console, process.stdout, process.stderr: the
 * handlers' Powertools logs, the CLI's output, anything a test prints) is kept, and once the file is done it
 * is scanned for the secrets of every simulated world the file built (Atlas client secrets, private keys,
 * access tokens, digest responses, the AWS secret key; `worldSecrets()` in local/cloud/world.ts). A hit fails
 * the file, naming the kind of secret, never its value. Run results are scanned too (test/workflow/harness.ts).
 */
import { format } from 'node:util';
import { afterAll } from 'vitest';
import { secretHits } from '../local/cloud/world.ts';

/** What this file wrote; the capture is installed once per process (files may share a worker). */
const capture = globalThis as typeof globalThis & { __secretHygieneWritten?: string[] };
const installed = capture.__secretHygieneWritten !== undefined;
capture.__secretHygieneWritten ??= [];
const written = capture.__secretHygieneWritten;
written.length = 0;

if (!installed) {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[method].bind(console);
    console[method] = (...args: unknown[]) => {
      written.push(format(...args));
      original(...args);
    };
  }
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as (...args: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      written.push(typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : '');
      return original(chunk, ...rest);
    }) as typeof stream.write;
  }
}

afterAll(() => {
  const hits = secretHits(written.join('\n'));
  written.length = 0;
  if (hits.length > 0) {
    throw new Error(
      `secret hygiene: this file's output contains ${hits.length} secret value(s) of the simulated world ` +
        `(${[...new Set(hits)].join(', ')})`,
    );
  }
});
