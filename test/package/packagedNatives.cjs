'use strict';
// Loads the packaged app's native modules in plain Node and uses each once: better-sqlite3 opens a
// database, onnxruntime-node runs a tiny model, sharp decodes a PNG. Then lists which native files
// the process mapped (Linux /proc/self/maps), so the test can check they came from
// app.asar.unpacked. Prints one JSON line. Usage: node packagedNatives.cjs <appDir> <db> <onnx> <png>
const path = require('node:path');
const runDriver = require('./runDriver.cjs');
const { readFileSync, existsSync } = require('node:fs');

async function main() {
  const [appDir, dbFile, onnxFile, pngFile] = process.argv.slice(2);
  const fromApp = (name) => require(path.join(appDir, 'node_modules', name));
  const out = {};

  const Database = fromApp('better-sqlite3');
  const db = new Database(dbFile);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
  db.prepare('INSERT INTO t (name) VALUES (?)').run('packaged');
  out.sqlite = db.prepare('SELECT id, name FROM t').all();
  db.close();

  const ort = fromApp('onnxruntime-node');
  const session = await ort.InferenceSession.create(onnxFile);
  const x = new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]);
  const result = await session.run({ x });
  out.onnx = { inputs: session.inputNames, outputs: session.outputNames, y: Array.from(result.y.data), dims: result.y.dims };

  const sharp = fromApp('sharp');
  const { data, info } = await sharp(readFileSync(pngFile)).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
  out.sharp = { width: info.width, height: info.height, channels: info.channels, pixels: Array.from(data) };

  out.mapped = existsSync('/proc/self/maps')
    ? [...new Set(readFileSync('/proc/self/maps', 'utf8').split('\n').map((l) => l.split(/\s+/).slice(5).join(' ')).filter((p) => /\.(node|so(\.\d+)*)$/.test(p) && p.includes('node_modules')))]
    : null;
  return out;
}

runDriver(main);
