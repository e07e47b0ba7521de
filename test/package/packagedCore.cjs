'use strict';
// Runs the packaged CLI bundle in plain Node: `pasam doctor` (tfjs backend selection and ONNX
// Runtime from the package) and a one-epoch `pasam train` of the tiny preset, whose worker thread
// starts from the packaged worker bundle. Prints one JSON line.
// Usage: node packagedCore.cjs <appDir> <projectDir>
const path = require('node:path');
const runDriver = require('./runDriver.cjs');

async function main() {
  const [appDir, projectDir] = process.argv.slice(2);
  const out = {};
  const { main: cli } = require(path.join(appDir, 'out', 'pasam.cjs'));
  const lines = [];
  out.doctorCode = await cli(['doctor'], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  out.doctor = lines.join('\n');

  // A real (one-epoch, tiny-model) training run: the CLI starts the worker thread from its bundle,
  // which trains with the bundled tfjs (gradients, chained ops, wasm) and records the run in SQLite.
  const trainLines = [];
  out.trainCode = await cli(['train', projectDir, '--preset', 'tiny', '--size', '32', '--epochs', '1', '--batch', '2', '--json'], { out: (l) => trainLines.push(l), err: () => undefined });
  out.train = trainLines.join('\n');
  return out;
}

runDriver(main);
