// Every `pasam` sub-command, in the order `pasam --help` lists them.
import type { CliCommand } from '../cliTypes.js';
import { doctorCommand } from './doctor.js';

export const commands: CliCommand[] = [doctorCommand];
