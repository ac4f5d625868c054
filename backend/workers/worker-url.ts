/**
 * Location of a bundled worker script. Every Node-side bundle lives in dist/node/ with workers in
 * dist/node/workers/, so the URL is relative to the running bundle; a worker that starts another
 * (the preview's pipeline worker starts its inference thread) finds it beside itself. When running
 * from TypeScript sources (vitest) the workers come from the last build.
 */
export function workerUrl(name: string, here = import.meta.url): URL {
  const at = new URL(here).pathname;
  if (/\.(ts|tsx)$/.test(at)) return new URL(`../../dist/node/workers/${name}.mjs`, here);
  if (/\/workers\/[^/]+\.worker\.mjs$/.test(at)) return new URL(`./${name}.mjs`, here);
  return new URL(`./workers/${name}.mjs`, here);
}
