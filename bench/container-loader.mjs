/**
 * Module loader hooks for the scale bench's Lambda container model (registered by bench/scale.ts with
 * `module.register`). A module imported by a module whose URL carries `?container=<id>` gets the same query
 * when it lives under the repository's `lambdas/` folder, so each simulated container has its own instance of
 * every project module it uses (its own Atlas client, token cache and EC2 client), as a Lambda container has.
 * Packages under node_modules stay shared: they hold no per-container state the bench measures.
 */
const LAMBDAS = new URL('../lambdas/', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  const parent = context.parentURL;
  if (parent === undefined || !result.url.startsWith(LAMBDAS)) return result;
  const container = new URL(parent).searchParams.get('container');
  if (container === null) return result;
  const url = new URL(result.url);
  if (url.searchParams.has('container')) return result;
  url.searchParams.set('container', container);
  return { ...result, url: url.href };
}
