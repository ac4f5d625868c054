import type { ComponentType } from 'react';
import type { StepId } from './step-ids';
import { ModelStep } from './model/ModelStep';
import { TemplateStep } from './template/TemplateStep';
import { ExportStep } from './export/ExportStep';
import { PreviewStep } from './preview/PreviewStep';
import { BuildRunStep } from './build-run/BuildRunStep';

export interface StepDef {
  id: StepId;
  label: string;
  /** One line under the step name in the wizard bar. */
  hint: string;
  component: ComponentType;
}

/** The wizard, in order. Each step's UI lives in its own folder; register it here. */
export const steps: StepDef[] = [
  { id: 'model', label: 'Model', hint: 'Open a project folder', component: ModelStep },
  { id: 'template', label: 'Template', hint: 'Edit template.yaml', component: TemplateStep },
  { id: 'preview', label: 'Preview', hint: 'NMF on sample maps', component: PreviewStep },
  { id: 'build-run', label: 'Build & Run', hint: 'Local model server', component: BuildRunStep },
  { id: 'export', label: 'Export', hint: '.dism-artifacts', component: ExportStep },
];
