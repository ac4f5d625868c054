import type { CliCommand } from '../command';
import { engineCommand } from './engine';
import { validateCommand } from './validate';
import { newTemplateCommand } from './new-template';
import { exportCommand } from './export';
import { importJoblibCommand } from './import-joblib';
import { buildLocalCommand } from './build-local';
import { startApiCommand } from './start-api';
import { inferCommand } from './infer';
import { previewCommand } from './preview';
import { checkModelCommand, vendorCommand } from './check-model';
import { dialsCommand } from './dials';

/** Every `dism-studio <command>`; each domain adds its own file here. */
export const commands: CliCommand[] = [
  engineCommand,
  validateCommand,
  newTemplateCommand,
  exportCommand,
  importJoblibCommand,
  buildLocalCommand,
  startApiCommand,
  inferCommand,
  previewCommand,
  checkModelCommand,
  vendorCommand,
  dialsCommand,
];
