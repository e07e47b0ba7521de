// The official presets' tensor lists (names, shapes, counts) and the Hugging Face name map,
// checked against the numbers and names published for segment-anything and SamModel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../app/model/checkpoint/importer.js';
import { hfNameMap, officialToHf, validateCheckpoint } from '../../app/model/checkpoint/nameMap.js';
import { presetConfig, SAM_PRESET_NAMES } from '../../app/model/sam/config.js';
import { samTensorSpecs } from '../../app/model/sam/weights.js';

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

test('preset tensor lists add up to the published parameter counts', () => {
  const expected = { vit_b: [89_670_912, 93_735_472], vit_l: [308_278_272, 312_342_832], vit_h: [637_026_048, 641_090_608] };
  for (const p of SAM_PRESET_NAMES) {
    const specs = samTensorSpecs(presetConfig(p));
    const encoder = specs.filter((s) => s.name.startsWith('image_encoder.')).reduce((a, s) => a + count(s.torchShape), 0);
    // The published totals count parameters; the PE matrix (2×128) is a buffer.
    const total = specs.filter((s) => !s.name.includes('positional_encoding_gaussian_matrix')).reduce((a, s) => a + count(s.torchShape), 0);
    assert.deepEqual([encoder, total], expected[p], p);
  }
  const b = new Map(samTensorSpecs(presetConfig('vit_b')).map((s) => [s.name, s.torchShape]));
  assert.deepEqual(b.get('image_encoder.blocks.2.attn.rel_pos_h'), [127, 64], 'global block');
  assert.deepEqual(b.get('image_encoder.blocks.3.attn.rel_pos_w'), [27, 64], 'windowed block');
  assert.deepEqual(b.get('mask_decoder.output_upscaling.0.weight'), [256, 64, 2, 2]);
  assert.deepEqual(b.get('mask_decoder.transformer.layers.1.cross_attn_image_to_token.out_proj.weight'), [256, 128]);
  const promptParams = [...b].filter(([n]) => n.startsWith('prompt_encoder.') && !n.includes('gaussian')).reduce((a, [, s]) => a + count(s), 0);
  const decoderParams = [...b].filter(([n]) => n.startsWith('mask_decoder.')).reduce((a, [, s]) => a + count(s), 0);
  assert.deepEqual([promptParams, decoderParams], [6_220, 4_058_340]);
});

test('HF SamModel names follow convert_sam_to_hf.py', () => {
  const pairs: [string, string][] = [
    ['image_encoder.patch_embed.proj.weight', 'vision_encoder.patch_embed.projection.weight'],
    ['image_encoder.blocks.11.norm1.bias', 'vision_encoder.layers.11.layer_norm1.bias'],
    ['image_encoder.blocks.0.attn.rel_pos_h', 'vision_encoder.layers.0.attn.rel_pos_h'],
    ['image_encoder.neck.3.weight', 'vision_encoder.neck.layer_norm2.weight'],
    ['prompt_encoder.point_embeddings.3.weight', 'prompt_encoder.point_embed.3.weight'],
    ['prompt_encoder.mask_downscaling.4.bias', 'prompt_encoder.mask_embed.layer_norm2.bias'],
    ['mask_decoder.transformer.layers.1.norm4.weight', 'mask_decoder.transformer.layers.1.layer_norm4.weight'],
    ['mask_decoder.transformer.norm_final_attn.bias', 'mask_decoder.transformer.layer_norm_final_attn.bias'],
    ['mask_decoder.output_upscaling.3.bias', 'mask_decoder.upscale_conv2.bias'],
    ['mask_decoder.iou_token.weight', 'mask_decoder.iou_token.weight'],
  ];
  for (const [official, hf] of pairs) assert.equal(officialToHf(official), hf);
  const map = hfNameMap(presetConfig('vit_b'));
  assert.equal(map.get('mask_decoder.output_hypernetworks_mlps.2.proj_in.weight'), 'mask_decoder.output_hypernetworks_mlps.2.layers.0.weight');
  assert.equal(map.get('mask_decoder.output_hypernetworks_mlps.2.layers.0.weight'), 'mask_decoder.output_hypernetworks_mlps.2.layers.1.weight');
  assert.equal(map.get('mask_decoder.iou_prediction_head.proj_out.bias'), 'mask_decoder.iou_prediction_head.layers.2.bias');
  assert.equal(map.get('shared_image_embedding.positional_embedding'), 'prompt_encoder.pe_layer.positional_encoding_gaussian_matrix');
  assert.equal(map.get('prompt_encoder.shared_embedding.positional_embedding'), 'prompt_encoder.pe_layer.positional_encoding_gaussian_matrix');
});

test('auto picks the preset every tensor fits, for official and HF names; pixel_mean/std are ignored', () => {
  for (const p of SAM_PRESET_NAMES) {
    const specs = samTensorSpecs(presetConfig(p));
    const official = [...specs.map((s) => ({ name: s.name, shape: s.torchShape, dtype: 'float32' })), { name: 'pixel_mean', shape: [3, 1, 1], dtype: 'float32' }];
    const r = resolveConfig({ file: `${p}.pth`, tensors: official }, { preset: 'auto' });
    assert.equal(r.preset, p);
    assert.deepEqual(r.report.ignored, ['pixel_mean']);
    const map = new Map([...hfNameMap(presetConfig(p))].map(([hf, off]) => [off, hf]));
    const hf = specs.map((s) => ({ name: map.get(s.name)!, shape: s.torchShape, dtype: 'bfloat16' }));
    const rh = resolveConfig({ file: `${p}.safetensors`, tensors: hf }, { preset: 'auto' });
    assert.equal(rh.preset, p);
    assert.equal(rh.report.nameStyle, 'hf');
  }
  // vit_l weights declared as vit_h: every encoder width is wrong and 8 blocks are missing.
  const l = samTensorSpecs(presetConfig('vit_l')).map((s) => ({ name: s.name, shape: s.torchShape, dtype: 'float32' }));
  const rep = validateCheckpoint(l, presetConfig('vit_h'));
  assert.equal(rep.ok, false);
  assert.ok(rep.missing.includes('image_encoder.blocks.31.mlp.lin2.bias'));
  assert.ok(rep.misShaped.some((m) => m.name === 'image_encoder.pos_embed'));
  assert.equal(rep.misShaped.filter((m) => m.name.startsWith('mask_decoder')).length, 0, 'decoders are the same size');
});
