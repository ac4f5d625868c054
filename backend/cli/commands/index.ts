import type { CliCommand } from '../command';
import { engineCommand } from './engine';
import { validateCommand } from './validate';
import { newTemplateCommand } from './new-template';

/** Every `dism-studio <command>`; each domain adds its own file here. */
export const commands: CliCommand[] = [engineCommand, validateCommand, newTemplateCommand];
