/**
 * Per-invocation environments for handlers that run in this process.
 *
 * A Lambda function sees its own environment. The local engine runs many functions, and many executions at
 * once, in one Node.js process, whose `process.env` is a single shared object: swapping values in and out
 * around an `await` lets concurrent invocations see each other's variables. Instead, `process.env` is
 * replaced (once, on first use) by a view that reads the environment of the invocation the current
 * asynchronous context belongs to (`AsyncLocalStorage`), and the process's own variables outside any
 * invocation. Nothing is ever written into the process's own environment; module initialization
 * (`import()` inside {@link withEnvironment}) and everything the handler awaits see the invocation's copy,
 * including the AWS SDK's own reads (region, endpoint, credentials).
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type EnvironmentRecord = Record<string, string | undefined>;

const scope = new AsyncLocalStorage<EnvironmentRecord>();
let processEnv: NodeJS.ProcessEnv | undefined;

function install(): void {
  if (processEnv !== undefined) return;
  const own = process.env;
  processEnv = own;
  const target = (): EnvironmentRecord => scope.getStore() ?? own;
  process.env = new Proxy(own, {
    get: (_t, key) => (typeof key === 'string' ? target()[key] : undefined),
    set: (_t, key, value) => {
      if (typeof key !== 'string') return false;
      target()[key] = String(value);
      return true;
    },
    has: (_t, key) => typeof key === 'string' && Object.hasOwn(target(), key),
    deleteProperty: (_t, key) => (typeof key === 'string' ? delete target()[key] : true),
    ownKeys: () => Reflect.ownKeys(target()),
    getOwnPropertyDescriptor: (_t, key) => {
      if (typeof key !== 'string' || !Object.hasOwn(target(), key)) return undefined;
      return { value: target()[key], writable: true, enumerable: true, configurable: true };
    },
    defineProperty: (_t, key, descriptor) => {
      if (typeof key !== 'string') return false;
      target()[key] = String(descriptor.value);
      return true;
    },
  });
}

/** The process's own environment (what `process.env` shows outside any invocation). */
export function ownEnvironment(): EnvironmentRecord {
  install();
  return processEnv!;
}

/** Runs `fn` (and everything it awaits) with `env` as its `process.env`; the process's own is untouched. */
export function withEnvironment<T>(env: EnvironmentRecord, fn: () => T): T {
  install();
  return scope.run({ ...env }, fn);
}
