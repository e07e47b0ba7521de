// IPEG on tiny sizes: gradients of every branch match finite differences, shapes per mode, and
// a fresh dense branch reproduces the "no prompt" embedding it starts from.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { tf } from '../../app/tensor/tf.js';
import { initBackend } from '../../app/tensor/backend.js';
import { createIpeg, ipegForward, type IpegParams } from '../../app/model/pasam/ipeg.js';
import { parsePasamConfig, type IpegConfig } from '../../app/model/pasam/pasamConfig.js';
import { mapTensorTree, ParamStore } from '../../app/model/pasam/params.js';
import { gradientCheck, pseudoRandom } from '../helpers/pasamTestUtils.js';

before(async () => {
  await initBackend();
});

const DIM = 8;

function ipegCfg(over: Partial<IpegConfig>): IpegConfig {
  return parsePasamConfig({ ipeg: { numQueries: 3, numHeads: 2, mlpRatio: 2, ...over } }).ipeg;
}

/** Parameters by name, with every zero-initialised tensor replaced so that no gradient is trivially 0. */
function named(p: IpegParams): Map<string, tf.Tensor> {
  const m = new Map<string, tf.Tensor>();
  mapTensorTree(p, 'ipeg', (t, name) => {
    m.set(name, t);
    return t;
  });
  return m;
}

function rebuild(p: IpegParams, m: Map<string, tf.Tensor>): IpegParams {
  return mapTensorTree(p, 'ipeg', (_, name) => m.get(name)!);
}

for (const over of [{}, { sparse: 'gap-mlp' as const, dense: 'none' as const }]) {
  test(`IPEG gradients match finite differences (${JSON.stringify(over)})`, () => {
    const cfg = ipegCfg(over);
    const store = new ParamStore(7);
    const p = createIpeg(store.factory(false), DIM, cfg);
    let seed = 100;
    const params = new Map([...named(p)].map(([n, t]) => [n, pseudoRandom(t.shape, seed++, 0.5)]));
    // The key bias shifts every score of a query equally, which softmax ignores: its gradient is
    // exactly zero, so it is held fixed here rather than "checked".
    const keyBias = params.get('ipeg.sparse.attn.kProj.bias');
    params.delete('ipeg.sparse.attn.kProj.bias');
    const fixed = (m: Map<string, tf.Tensor>) => (keyBias ? new Map([...m, ['ipeg.sparse.attn.kProj.bias', keyBias]]) : m);
    const f = pseudoRandom([2, 3, 3, DIM], 1) as tf.Tensor4D;
    const pe = pseudoRandom([1, 3, 3, DIM], 2) as tf.Tensor4D;
    const wSparse = pseudoRandom([2, cfg.numQueries, DIM], 3);
    const wDense = pseudoRandom([2, 3, 3, DIM], 4);
    const loss = (m: Map<string, tf.Tensor>) =>
      tf.tidy(() => {
        const out = ipegForward(f, pe, rebuild(p, fixed(m)), cfg);
        return tf.add(tf.sum(tf.mul(out.sparse, wSparse)), tf.sum(tf.mul(out.dense, wDense))) as tf.Scalar;
      });
    assert.deepEqual(gradientCheck(loss, params, { samples: 3 }), []);
    tf.dispose([f, pe, wSparse, wDense, ...params.values(), keyBias ?? []]);
    store.dispose();
  });
}

test('IPEG output shapes per mode; a fresh dense branch equals the broadcast no_mask_embed', () => {
  const noMask = pseudoRandom([1, DIM], 9) as tf.Tensor2D;
  const f = pseudoRandom([2, 4, 4, DIM], 10) as tf.Tensor4D;
  const pe = pseudoRandom([1, 4, 4, DIM], 11) as tf.Tensor4D;
  for (const [over, ns] of [[{}, 3], [{ sparse: 'gap-mlp' }, 3], [{ sparse: 'none', dense: 'none' }, 0]] as const) {
    const cfg = ipegCfg(over as Partial<IpegConfig>);
    const store = new ParamStore(1);
    const p = createIpeg(store.factory(true), DIM, cfg, noMask);
    const out = ipegForward(f, pe, p, cfg);
    assert.deepEqual(out.sparse.shape, [2, ns, DIM]);
    assert.deepEqual(out.dense.shape, [2, 4, 4, DIM]);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(out.dense, noMask.reshape([1, 1, 1, DIM])))).dataSync()[0]);
    assert.ok(diff < 1e-6, `dense starts at no_mask_embed (|Δ| ${diff}) for ${JSON.stringify(over)}`);
    tf.dispose([out.sparse, out.dense]);
    store.dispose();
  }
  tf.dispose([noMask, f, pe]);
});
