export const STEP_IDS = ['model', 'template', 'preview', 'build-run', 'export'] as const;
export type StepId = (typeof STEP_IDS)[number];

export function isStepId(v: string): v is StepId {
  return (STEP_IDS as readonly string[]).includes(v);
}
