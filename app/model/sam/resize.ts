// Running SAM at an input side S other than the checkpoint's: pos_embed and the global blocks'
// rel_pos tables are resized bilinearly (PyTorch align_corners=False), as SAMed does.
import { resizeBilinearTorch, tf } from '../nn.js';
import { gridSize, type SamConfig } from './config.js';
import { resizeRelPosTable } from './relPos.js';
import { isTinyVit, type SamWeights } from './weights.js';

export function resizePosEmbed(pos: tf.Tensor4D, g: number): tf.Tensor4D {
  if (pos.shape[1] === g && pos.shape[2] === g) return pos.clone();
  return tf.tidy(() => resizeBilinearTorch(pos, [g, g]));
}

/**
 * Weights for input side `s`: shares every tensor with `w` except pos_embed and the global
 * blocks' rel_pos, which are new tensors listed in `created` (dispose those, not the shared ones).
 */
export function adaptSamWeights(w: SamWeights, cfg: SamConfig, s: number): { weights: SamWeights; created: tf.Tensor[] } {
  if (!Number.isInteger(s) || s <= 0 || s % cfg.patchSize !== 0) throw new Error(`input size ${s} must be a positive multiple of ${cfg.patchSize}`);
  // TinyViT (MobileSAM) has no positional tables: it runs at any S as it is.
  if (isTinyVit(w.imageEncoder)) return { weights: w, created: [] };
  const g = gridSize(cfg, s);
  const created: tf.Tensor[] = [];
  const posEmbed = resizePosEmbed(w.imageEncoder.posEmbed, g);
  created.push(posEmbed);
  const blocks = w.imageEncoder.blocks.map((b, i) => {
    if (!cfg.encoderGlobalAttnIndexes.includes(i)) return b;
    const relPosH = resizeRelPosTable(b.attn.relPosH, 2 * g - 1);
    const relPosW = resizeRelPosTable(b.attn.relPosW, 2 * g - 1);
    created.push(relPosH, relPosW);
    return { ...b, attn: { ...b.attn, relPosH, relPosW } };
  });
  return { weights: { ...w, imageEncoder: { ...w.imageEncoder, posEmbed, blocks } }, created };
}
