import type { CliCommand } from '../command';
import { engineCommand } from './engine';

/** Every `dism-studio <command>`; each domain adds its own file here. */
export const commands: CliCommand[] = [engineCommand];
