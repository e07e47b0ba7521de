// Draws the visible part of the full-resolution class-index mask into a viewport-sized canvas:
// nearest-neighbour sampling (crisp pixels when zoomed in) with per-class colour, opacity and
// visibility, plus a model proposal (checkered, in class colours) and the SAM preview (stripes in a
// fixed contrasting cyan/black, whatever the class colour) on top. Cost is proportional to the
// viewport, not the image.
export interface View {
  /** Screen pixels per image pixel. */
  scale: number;
  /** Screen position of image (0, 0). */
  tx: number;
  ty: number;
}

export interface ClassStyle {
  color: string;
  /** 0..1 */
  opacity: number;
  visible: boolean;
}

export function rgba(hex: string, alpha: number): number {
  const n = parseInt(hex.slice(1), 16);
  const a = Math.round(Math.max(0, Math.min(1, alpha)) * 255);
  // Little-endian ABGR as Uint32 for ImageData.
  return ((a << 24) | ((n & 255) << 16) | (((n >> 8) & 255) << 8) | ((n >> 16) & 255)) >>> 0;
}

// Contrasting colours for the SAM preview, so that it never looks like any class's accepted mask.
const SAM_PREVIEW = rgba('#00e5ff', 0.8);
const SAM_PREVIEW_HATCH = rgba('#000000', 0.45);

export class OverlayRenderer {
  readonly canvas: HTMLCanvasElement;
  private ctx: CanvasRenderingContext2D;
  private image: ImageData | null = null;

  constructor() {
    this.canvas = document.createElement('canvas');
    this.ctx = this.canvas.getContext('2d')!;
  }

  render(opts: {
    width: number;
    height: number;
    view: View;
    labels: Uint8Array | null;
    imageWidth: number;
    imageHeight: number;
    styles: Map<number, ClassStyle>;
    hideAll: boolean;
    preview: Uint8Array | null;
    /** A model's proposal (class indices) drawn over the mask until accepted or discarded. */
    proposal?: Uint8Array | null;
  }): void {
    const W = Math.max(1, Math.floor(opts.width));
    const H = Math.max(1, Math.floor(opts.height));
    if (this.canvas.width !== W || this.canvas.height !== H || !this.image) {
      this.canvas.width = W;
      this.canvas.height = H;
      this.image = this.ctx.createImageData(W, H);
    }
    const out = new Uint32Array(this.image.data.buffer);
    const lut = new Uint32Array(256);
    if (!opts.hideAll) for (const [idx, st] of opts.styles) if (st.visible && idx > 0 && idx < 256) lut[idx] = rgba(st.color, st.opacity);
    let proposalLut: Uint32Array | null = null;
    if (opts.proposal) {
      proposalLut = new Uint32Array(256);
      for (const [idx, st] of opts.styles) if (idx > 0 && idx < 256) proposalLut[idx] = rgba(st.color, 0.95);
    }
    paintOverlay(out, W, H, opts.view, opts.hideAll ? null : opts.labels, opts.imageWidth, opts.imageHeight, lut, opts.preview, SAM_PREVIEW, SAM_PREVIEW_HATCH, opts.proposal ?? null, proposalLut);
    this.ctx.putImageData(this.image, 0, 0);
  }
}

/**
 * Fills `out` (W×H ABGR pixels) with the visible part of the class-index mask: nearest-neighbour
 * samples through the colour table `lut`, the proposal checkered over it (2-pixel squares through
 * `proposalLut`), the preview hatched on top. Pure, for the bench too.
 */
export function paintOverlay(
  out: Uint32Array,
  W: number,
  H: number,
  view: View,
  labels: Uint8Array | null,
  iw: number,
  ih: number,
  lut: Uint32Array,
  preview: Uint8Array | null,
  previewColor: number,
  previewHatch: number,
  proposal: Uint8Array | null = null,
  proposalLut: Uint32Array | null = null,
): void {
  out.fill(0);
  if (!labels && !preview && !proposal) return;
  const sx0 = Math.max(0, Math.floor(view.tx));
  const sx1 = Math.min(W, Math.ceil(view.tx + iw * view.scale));
  const sy0 = Math.max(0, Math.floor(view.ty));
  const sy1 = Math.min(H, Math.ceil(view.ty + ih * view.scale));
  const cols = new Int32Array(Math.max(0, sx1 - sx0));
  for (let sx = sx0; sx < sx1; sx++) cols[sx - sx0] = Math.min(iw - 1, Math.max(0, Math.floor((sx + 0.5 - view.tx) / view.scale)));
  for (let sy = sy0; sy < sy1; sy++) {
    const iy = Math.min(ih - 1, Math.max(0, Math.floor((sy + 0.5 - view.ty) / view.scale)));
    const rowIn = iy * iw;
    const rowOut = sy * W + sx0;
    for (let k = 0; k < cols.length; k++) {
      const i = rowIn + cols[k]!;
      let c = labels ? lut[labels[i]!]! : 0;
      if (proposal && proposalLut && proposal[i] && (((sx0 + k) >> 1) + (sy >> 1)) & 1) c = proposalLut[proposal[i]!]!;
      // The preview is hatched so that it never looks like an accepted mask.
      if (preview && preview[i]) c = ((sx0 + k + sy) & 7) < 4 ? previewColor : previewHatch;
      if (c) out[rowOut + k] = c;
    }
  }
}
