// Every `pasam` sub-command, in the order `pasam --help` lists them.
import type { CliCommand } from '../cliTypes.js';
import { doctorCommand } from './doctor.js';
import { serveCommand } from './serve.js';
import { desktopCommand } from './desktop.js';

export const commands: CliCommand[] = [doctorCommand, serveCommand, desktopCommand];
