// Every `pasam` sub-command, in the order `pasam --help` lists them.
import type { CliCommand } from '../cliTypes.js';
import { doctorCommand } from './doctor.js';
import { initCommand } from './init.js';
import { classCommand } from './class.js';
import { importCommand } from './import.js';
import { splitCommand } from './split.js';
import { checkCommand } from './check.js';
import { exportCommand } from './export.js';
import { infoCommand } from './info.js';
import { modelCommand } from './model.js';
import { predictCommand } from './predict.js';
import { trainCommand } from './train.js';
import { evalCommand } from './evalCommand.js';
import { segmentCommand } from './segment.js';
import { serveCommand } from './serve.js';
import { desktopCommand } from './desktop.js';

export const commands: CliCommand[] = [initCommand, classCommand, importCommand, splitCommand, checkCommand, exportCommand, infoCommand, modelCommand, predictCommand, trainCommand, evalCommand, segmentCommand, serveCommand, desktopCommand, doctorCommand];
