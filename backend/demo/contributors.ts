/**
 * Other parts of the app can add files to every generated demo project (e.g. the MLServer handler
 * `mlserver-model/app.py`). A contributor runs after the demo files are written, before the
 * project is moved into place; it must be deterministic and only write inside `dir`.
 */
export type DemoContributor = (dir: string) => Promise<void>;

export const demoContributors: DemoContributor[] = [];
