'use strict';
// Runs `pasam` as an installed package has it (bin/pasam.js beside out/, no TypeScript sources, no
// tsx) in plain Node: `pasam doctor` (tfjs backend selection and ONNX Runtime from the package) and
// a one-epoch `pasam train` of the tiny preset, whose worker thread starts from the packaged
// worker bundle. Prints one JSON line. Usage: node packagedCore.cjs <appDir> <projectDir>
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const runDriver = require('./runDriver.cjs');

async function main() {
  const [appDir, projectDir] = process.argv.slice(2);
  const pasam = (args) => {
    const r = spawnSync(process.execPath, [path.join(appDir, 'bin', 'pasam.js'), ...args], { encoding: 'utf8', timeout: 180_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const doctor = pasam(['doctor']);
  // A real training run: the worker trains with the bundled tfjs (gradients, chained ops, wasm)
  // and records the run in SQLite.
  const train = pasam(['train', projectDir, '--preset', 'tiny', '--size', '32', '--epochs', '1', '--batch', '2', '--json']);
  return { doctorCode: doctor.code, doctor: doctor.stdout + doctor.stderr, trainCode: train.code, train: train.stdout, trainErr: train.stderr };
}

runDriver(main);
