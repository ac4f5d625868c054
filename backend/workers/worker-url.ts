/**
 * Location of a bundled worker script. Every Node-side bundle lives in dist/node/ with workers in
 * dist/node/workers/, so the URL is relative to the running bundle; when running from TypeScript
 * sources (vitest) the workers come from the last build.
 */
export function workerUrl(name: string): URL {
  const here = import.meta.url;
  if (/\.(ts|tsx)$/.test(new URL(here).pathname)) return new URL(`../../dist/node/workers/${name}.mjs`, here);
  return new URL(`./workers/${name}.mjs`, here);
}
