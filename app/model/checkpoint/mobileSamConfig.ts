// The configuration of a MobileSAM checkpoint, read from its tensor shapes: the TinyViT encoder
// (tinyVitConfigFromShapes) and the SAM prompt encoder / mask decoder widths and depths. Only the
// decoder's head count is not in the shapes; MobileSAM builds it with SAM's 8.
import { mobileSamConfig, type SamConfig } from '../sam/config.js';
import { hasTinyVitEncoder, tinyVitConfigFromShapes } from '../sam/tinyVitWeights.js';

const DECODER_NUM_HEADS = 8;
/** MobileSAM is trained at SAM's 1024 (the input side a model runs at is chosen per use). */
const MOBILE_SAM_IMG_SIZE = 1024;

export function isMobileSamCheckpoint(names: Iterable<string>): boolean {
  return hasTinyVitEncoder(names);
}

export function mobileSamConfigFromShapes(tensors: { name: string; shape: number[] }[], file: string): SamConfig {
  const names = tensors.map((t) => t.name);
  if (!isMobileSamCheckpoint(names)) {
    const vit = names.some((n) => /^(module\.)?image_encoder\.blocks\.\d+\./.test(n));
    throw new Error(`${file}: not a MobileSAM checkpoint: ${vit ? 'its image encoder is a SAM ViT (image_encoder.blocks.*), not TinyViT; import it with --preset auto or vit_b/vit_l/vit_h' : 'it has no TinyViT image encoder (image_encoder.patch_embed.seq.*)'}`);
  }
  const shapes = new Map(tensors.map((t) => [t.name.replace(/^module\./, ''), t.shape]));
  const shape = (n: string): number[] => {
    const s = shapes.get(n);
    if (!s) throw new Error(`${file}: not a complete MobileSAM checkpoint: tensor '${n}' is missing`);
    return s;
  };
  const count = (prefix: string): number => {
    let n = 0;
    while (names.some((k) => k.replace(/^module\./, '').startsWith(`${prefix}.${n}.`))) n++;
    return n;
  };
  const tinyVit = tinyVitConfigFromShapes(shapes, file);
  const C = shape('prompt_encoder.no_mask_embed.weight')[1];
  const crossInner = shape('mask_decoder.transformer.layers.0.cross_attn_token_to_image.q_proj.weight')[0];
  const iouDepth = count('mask_decoder.iou_prediction_head.layers');
  return mobileSamConfig(
    tinyVit,
    {
      imgSize: MOBILE_SAM_IMG_SIZE,
      promptEmbedDim: C,
      maskInChans: shape('prompt_encoder.mask_downscaling.3.weight')[0],
      decoderDepth: count('mask_decoder.transformer.layers'),
      decoderMlpDim: shape('mask_decoder.transformer.layers.0.mlp.lin1.weight')[0],
      decoderNumHeads: DECODER_NUM_HEADS,
      attentionDownsampleRate: C / crossInner,
      iouHeadDepth: iouDepth,
      iouHeadHiddenDim: shape('mask_decoder.iou_prediction_head.layers.0.weight')[0],
      numMultimaskOutputs: shape('mask_decoder.mask_tokens.weight')[0] - 1,
      pixelMean: [123.675, 116.28, 103.53],
      pixelStd: [58.395, 57.12, 57.375],
    },
    file,
  );
}
