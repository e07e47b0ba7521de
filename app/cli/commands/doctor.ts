import type { CliCommand } from '../cliTypes.js';
import { parseCommandArgs } from '../args.js';

export const doctorCommand: CliCommand = {
  name: 'doctor',
  usage: 'pasam doctor [--json]\n\nPrints the TensorFlow.js backend in use (PASAM_BACKEND=gpu|node|wasm|cpu forces one),\nwhy each faster backend was skipped, versions, CPU cores and memory.',
  async run(argv, io) {
    const { values } = parseCommandArgs(argv, {}, { min: 0, max: 0 });
    // loaded on demand: tfjs takes seconds to import and most commands never need it
    const { doctorReport, formatDoctor } = await import('../../api/doctor.js');
    const report = await doctorReport();
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else for (const line of formatDoctor(report)) io.out(line);
    return 0;
  },
};
