// The one place the app names its TensorFlow.js package; everything else imports `tf` from here.
// In development this is the `@tensorflow/tfjs` umbrella, whose Node build registers the gradients
// and the chained tensor methods (x.reshape(…)) that tfjs-core's CommonJS build lacks. The
// production bundle (`npm run build`) maps this import onto tfjs-core's ES modules with the
// gradients, chained ops and the CPU backend, so the package carries no layers/converter/webgl.
import * as tf from '@tensorflow/tfjs';

export { tf };
