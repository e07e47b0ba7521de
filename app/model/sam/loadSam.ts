// Loads a library model as a ready SamModel at an input size.
import { loadModelWeights, type ModelManifest } from '../library.js';
import { SamModel } from './samModel.js';

export async function loadSamModel(name: string, inputSize?: number): Promise<{ model: SamModel; manifest: ModelManifest }> {
  const { manifest, weights } = await loadModelWeights(name);
  return { model: new SamModel(manifest.config, weights, inputSize ?? manifest.config.imgSize), manifest };
}
