// Every `pasam` sub-command, in the order `pasam --help` lists them.
import type { CliCommand } from '../cliTypes.js';
import { doctorCommand } from './doctor.js';
import { modelCommand } from './model.js';
import { predictCommand } from './predict.js';

export const commands: CliCommand[] = [doctorCommand, modelCommand, predictCommand];
