'use strict';
// Runs the packaged CLI bundle (`pasam doctor`: tfjs backend selection and ONNX Runtime from the
// package's node_modules) and starts the packaged training worker bundle on a run that does not
// exist, in plain Node. Prints one JSON line. Usage: node packagedCore.cjs <appDir> <projectDir>
const path = require('node:path');
const { Worker } = require('node:worker_threads');

async function main() {
  const [appDir, projectDir] = process.argv.slice(2);
  const out = {};
  const { main: cli } = require(path.join(appDir, 'out', 'pasam.cjs'));
  const lines = [];
  out.doctorCode = await cli(['doctor'], { out: (l) => lines.push(l), err: (l) => lines.push(l) });
  out.doctor = lines.join('\n');

  const worker = new Worker(path.join(appDir, 'out', 'trainWorker.cjs'), { workerData: { projectDir, runId: 999, resume: false } });
  out.trainWorker = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ kind: 'timeout' }), 60_000);
    worker.on('message', (m) => {
      if (m.type !== 'done') return;
      clearTimeout(timer);
      resolve({ kind: 'done', result: m.result });
    });
    worker.on('error', (err) => {
      clearTimeout(timer);
      resolve({ kind: 'error', message: String(err && err.message) });
    });
  });
  await worker.terminate();
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  },
);
