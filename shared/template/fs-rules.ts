/**
 * Ids of the template rules that need the file system: backend/template/fs-checks.ts reports them
 * (its checks accept no other id); the pure rules in validate/ never do. While the text changes,
 * the Template step re-checks the pure rules itself and keeps the back end's last answer for these.
 */
export const FS_RULES = [
  'path-outside-project',
  'path-missing',
  'path-kind',
  'path-loop',
  'handler-module',
  'handler-class',
  'python-model',
  'saved-model',
  'onnx-dims',
  'onnx-name',
  'onnx-inputs',
  'onnx-datatype',
  'sample-dims',
] as const;
export type FsRule = (typeof FS_RULES)[number];

const fsRules = new Set<string>(FS_RULES);
export function isFsRule(rule: string): rule is FsRule {
  return fsRules.has(rule);
}
