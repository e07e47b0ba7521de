// What `@tensorflow/tfjs` is inside the production bundles: scripts/build.mjs resolves the app's one
// import of it (tensor/tf.ts) to this file. tfjs-core's ES modules, plus what the umbrella's Node
// build adds and the app relies on — every gradient and the chained tensor methods (x.reshape(…)) —
// and the CPU backend. Not tfjs-layers, -converter, -data or -backend-webgl, which the app never
// calls (the build fails if code reaches for a name this module does not export).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
