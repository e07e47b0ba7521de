// Forward+backward time of the engine's grad ops against tfjs's default ops at ViT-B-like sizes.
// Run: node --import tsx bench/gradOpsBench.ts   (PASAM_BACKEND=wasm|cpu|node selects the backend)
// Writes bench/results/grad-ops-<backend>.json. Median of a few repetitions after one warm-up;
// the machine may be shared, so loadavg is recorded with the figures.
import { tf } from '../app/tensor/tf.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../app/tensor/backend.js';
import { bmm, bmmNT, conv2d, linear, resizeBilinear } from '../app/tensor/gradOps.js';
import { Rng, normal } from '../app/tensor/random.js';

interface Row {
  name: string;
  shapes: string;
  engineMs: number | null;
  tfjsMs: number | null;
  /** tfjs time / engine time (> 1: the engine op is faster). */
  speedup: number | null;
  note?: string;
}

/** Median ms of forward + backward (all input gradients read back). */
function timeGrad(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], reps: number): number {
  const g = tf.grads((...a: tf.Tensor[]) => tf.sum(f(...a)));
  const once = () => {
    const t0 = performance.now();
    tf.tidy(() => g(xs).forEach((t) => t.dataSync()));
    return performance.now() - t0;
  };
  // A first run over 3 s is kept as the figure (no repeats): the slow default paths would
  // otherwise hold the shared machine for minutes.
  const first = once();
  if (first > 3000) return first;
  const times = Array.from({ length: reps }, once).sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function tryTime(f: (...xs: tf.Tensor[]) => tf.Tensor, xs: tf.Tensor[], reps: number): { ms: number | null; note?: string } {
  try {
    return { ms: timeGrad(f, xs, reps) };
  } catch (err) {
    return { ms: null, note: (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 160) };
  }
}

async function main(): Promise<void> {
  const info = await initBackend();
  const rng = new Rng(0);
  const rows: Row[] = [];
  const add = (name: string, shapes: string, mine: () => { ms: number | null; note?: string }, theirs: () => { ms: number | null; note?: string }, note?: string) => {
    const a = mine();
    const b = theirs();
    const row: Row = { name, shapes, engineMs: a.ms, tfjsMs: b.ms, speedup: a.ms && b.ms ? b.ms / a.ms : null };
    const notes = [note, a.note && `engine: ${a.note}`, b.note && `tfjs: ${b.note}`].filter(Boolean);
    if (notes.length) row.note = notes.join('; ');
    rows.push(row);
    console.log(`${name.padEnd(44)} ${shapes.padEnd(34)} engine ${a.ms?.toFixed(1) ?? 'n/a'} ms  tfjs ${b.ms?.toFixed(1) ?? 'n/a'} ms  ×${row.speedup?.toFixed(2) ?? '-'}${row.note ? '  (' + row.note + ')' : ''}`);
  };
  const R = (shape: number[], std = 1) => normal(rng, shape, std);

  // Linear: ViT-B qkv on one 32×32 token map (S = 512).
  {
    const x = R([1, 1024, 768]), w = R([768, 2304], 0.02), b = R([2304], 0.02);
    add('linear qkv', 'x(1,1024,768)·w(768,2304)+b', () => tryTime((x, w, b) => linear(x, w as tf.Tensor2D, b as tf.Tensor1D), [x, w, b], 3),
      () => tryTime((x, w, b) => tf.add(tf.matMul(x as tf.Tensor3D, tf.expandDims(w, 0) as tf.Tensor3D), b), [x, w, b], 2), 'tfjs: batched matMul (what a rank-3 nn.Linear port does)');
    const x2 = tf.reshape(x, [1024, 768]);
    add('linear qkv, 2-D input', 'x(1024,768)·w(768,2304)+b', () => tryTime((x, w, b) => linear(x, w as tf.Tensor2D, b as tf.Tensor1D), [x2, w, b], 3),
      () => tryTime((x, w, b) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b), [x2, w, b], 2), 'tfjs: 2-D matMul, gradients with transpose flags');
    const frozenW = tf.variable(w, false, 'bench.frozen.qkv');
    add('linear qkv, frozen weight (dx only)', 'x(1,1024,768)·w(768,2304)+b', () => tryTime((x, b) => linear(x, frozenW as tf.Tensor2D, b as tf.Tensor1D), [x, b], 3),
      () => tryTime((x, b) => tf.add(tf.matMul(x as tf.Tensor3D, tf.expandDims(frozenW, 0) as tf.Tensor3D), b), [x, b], 1), 'gradients w.r.t. x and b only');
    tf.dispose([x, w, b, x2, frozenW]);
  }
  // Batched-matMul strategies, forward only: a loop of 2-D matMuls (what bmm does on wasm) vs tfjs's
  // batched kernel without and with a transpose flag.
  for (const [BH, M, K, N] of [[12, 196, 64, 196], [300, 196, 64, 196], [12, 1024, 64, 1024], [8, 7, 16, 4096]]) {
    const a = R([BH, M, K]) as tf.Tensor3D, b = R([BH, K, N]) as tf.Tensor3D, bt = R([BH, N, K]) as tf.Tensor3D;
    const fwd = (f: () => tf.Tensor, reps: number) => () => {
      const once = () => {
        const t0 = performance.now();
        // (Never return a typed array from tf.tidy: it walks every element looking for tensors.)
        tf.tidy(() => {
          f().dataSync();
        });
        return performance.now() - t0;
      };
      once();
      const ts = Array.from({ length: reps }, once).sort((x, y) => x - y);
      return { ms: ts[Math.floor(ts.length / 2)] };
    };
    const reps = BH * M * K * N > 3e8 ? 1 : 3;
    add('bmm forward: 2-D loop vs batched, no flags', `(${BH},${M},${K})·(${BH},${K},${N})`, fwd(() => bmm(a, b), reps), fwd(() => tf.matMul(a, b), reps));
    add('bmmNT forward: 2-D loop vs batched, transposeB', `(${BH},${M},${K})·(${BH},${N},${K})ᵀ`, fwd(() => bmmNT(a, bt), reps), fwd(() => tf.matMul(a, bt, false, true), reps));
    tf.dispose([a, b, bt]);
  }
  // Attention: 12 heads in one 14×14 window, and global attention over 32×32 tokens.
  for (const [label, BH, N] of [['window 14×14', 12, 196], ['global 32×32', 12, 1024]] as const) {
    const q = R([BH, N, 64]), k = R([BH, N, 64]), v = R([BH, N, 64]);
    const reps = N > 500 ? 1 : 3;
    add(`attention q·kᵀ→softmax→·v, ${label}`, `(${BH},${N},64)`,
      () => tryTime((q, k, v) => bmm(tf.softmax(tf.mul(bmmNT(q as tf.Tensor3D, k as tf.Tensor3D), 0.125)) as tf.Tensor3D, v as tf.Tensor3D), [q, k, v], reps),
      () => tryTime((q, k, v) => tf.matMul(tf.softmax(tf.mul(tf.matMul(q as tf.Tensor3D, k as tf.Tensor3D, false, true), 0.125)), v as tf.Tensor3D), [q, k, v], 1));
    add(`q·kᵀ only, ${label}`, `(${BH},${N},64)`, () => tryTime((q, k) => bmmNT(q as tf.Tensor3D, k as tf.Tensor3D), [q, k], reps),
      () => tryTime((q, k) => tf.matMul(q as tf.Tensor3D, k as tf.Tensor3D, false, true), [q, k], 1));
    tf.dispose([q, k, v]);
  }
  // MSPCA convolutions: 4 of r = 8 channels, 25 windows of 14×14 (S = 1024) and one 32×32 map.
  for (const [label, shape] of [['25 windows 14×14', [25, 14, 14, 4]], ['global 32×32', [1, 32, 32, 4]]] as const) {
    for (const k of [3, 5, 7]) {
      const x = R([...shape]), w = R([k, k, 4, 4], 0.1);
      add(`MSPCA conv k=${k}, ${label}`, `x(${shape}) w(${k},${k},4,4)`, () => tryTime((x, w) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D), [x, w], 3),
        () => tryTime((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), [x, w], 3));
      tf.dispose([x, w]);
    }
    const x = R([...shape]), w = R([3, 3, 4, 4], 0.1);
    add(`MSPCA conv k=3 dilation 3, ${label}`, `x(${shape}) w(3,3,4,4)`, () => tryTime((x, w) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D, { dilation: 3 }), [x, w], 3),
      () => tryTime((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same', 'NHWC', 3), [x, w], 3));
    tf.dispose([x, w]);
  }
  // IPEG dense branch 3×3 conv 256→256 on a 32×32 embedding (S = 512).
  {
    const x = R([1, 32, 32, 256]), w = R([3, 3, 256, 256], 0.02);
    add('IPEG conv 3×3 256→256', 'x(1,32,32,256)', () => tryTime((x, w) => conv2d(x as tf.Tensor4D, w as tf.Tensor4D), [x, w], 2),
      () => tryTime((x, w) => tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, 'same'), [x, w], 2));
    tf.dispose([x, w]);
  }
  // Upsampling class logits 128→512 (half-pixel centres).
  {
    const x = R([1, 128, 128, 4]);
    add('resizeBilinear 128→512, K+1=4', 'x(1,128,128,4)', () => tryTime((x) => resizeBilinear(x as tf.Tensor4D, [512, 512]), [x], 3),
      () => tryTime((x) => tf.image.resizeBilinear(x as tf.Tensor4D, [512, 512], false, true), [x], 3), 'tfjs gradient ignores halfPixelCenters (wrong values)');
    x.dispose();
  }

  const out = {
    backend: info.name,
    tfjs: info.tfjsVersion,
    when: new Date().toISOString(),
    cpus: cpus().length,
    loadavg: loadavg().map((v) => Math.round(v * 100) / 100),
    method: 'median ms of forward + backward (all input gradients read back) after one warm-up; a first run over 3 s is reported alone',
    rows,
  };
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const file = `${dir}grad-ops-${info.name}.json`;
  writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${file}`);
}

await main();
