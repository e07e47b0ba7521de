// Plain float64 reference implementations of the engine's ops, written from their definitions,
// for value checks and finite-difference gradient checks. Row-major, channels-last.

/** (M,K)·(K,N). */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, M: number, K: number, N: number): Float64Array {
  const y = new Float64Array(M * N);
  for (let i = 0; i < M; i++) for (let k = 0; k < K; k++) for (let j = 0; j < N; j++) y[i * N + j] += a[i * K + k] * b[k * N + j];
  return y;
}

/** Stride-1 'same' conv (TF padding: before = floor(d(k−1)/2)), x (N,H,W,ci), w (kh,kw,ci,co). */
export function conv2dSame(x: ArrayLike<number>, w: ArrayLike<number>, N: number, H: number, W: number, ci: number, kh: number, kw: number, co: number, d: number): Float64Array {
  const pt = Math.floor((d * (kh - 1)) / 2);
  const pl = Math.floor((d * (kw - 1)) / 2);
  const y = new Float64Array(N * H * W * co);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let x0 = 0; x0 < W; x0++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const sh = h + i * d - pt;
            const sw = x0 + j * d - pl;
            if (sh < 0 || sh >= H || sw < 0 || sw >= W) continue;
            for (let c = 0; c < ci; c++) {
              const xv = x[((n * H + sh) * W + sw) * ci + c];
              for (let o = 0; o < co; o++) y[((n * H + h) * W + x0) * co + o] += xv * w[((i * kw + j) * ci + c) * co + o];
            }
          }
  return y;
}

/** PyTorch Conv2d(C, C, k, stride s, padding p, groups = C) on x (N,H,W,C), w (kh,kw,C,1): a full conv with a diagonal weight. */
export function depthwiseConv2d(x: ArrayLike<number>, w: ArrayLike<number>, N: number, H: number, W: number, C: number, kh: number, kw: number, s: number, p: number): Float64Array {
  const full = new Float64Array(kh * kw * C * C);
  for (let t = 0; t < kh * kw; t++) for (let c = 0; c < C; c++) full[(t * C + c) * C + c] = w[t * C + c];
  return conv2dStrided(x, full, N, H, W, C, kh, kw, C, s, p);
}

/** PyTorch Conv2d(stride s, padding p) on x (N,H,W,ci), w (kh,kw,ci,co); out = ⌊(H+2p−kh)/s⌋+1. */
export function conv2dStrided(x: ArrayLike<number>, w: ArrayLike<number>, N: number, H: number, W: number, ci: number, kh: number, kw: number, co: number, s: number, p: number): Float64Array {
  const ho = Math.floor((H + 2 * p - kh) / s) + 1;
  const wo = Math.floor((W + 2 * p - kw) / s) + 1;
  const y = new Float64Array(N * ho * wo * co);
  for (let n = 0; n < N; n++)
    for (let oh = 0; oh < ho; oh++)
      for (let ow = 0; ow < wo; ow++)
        for (let i = 0; i < kh; i++)
          for (let j = 0; j < kw; j++) {
            const sh = oh * s + i - p;
            const sw = ow * s + j - p;
            if (sh < 0 || sh >= H || sw < 0 || sw >= W) continue;
            for (let c = 0; c < ci; c++) {
              const xv = x[((n * H + sh) * W + sw) * ci + c];
              for (let o = 0; o < co; o++) y[((n * ho + oh) * wo + ow) * co + o] += xv * w[((i * kw + j) * ci + c) * co + o];
            }
          }
  return y;
}

/** PyTorch ConvTranspose2d(k=2, s=2) with w in (2,2,co,ci): y[2h+i, 2w+j, o] = Σ_c x[h,w,c]·w[i,j,o,c]. */
export function convTranspose2x2(x: ArrayLike<number>, w: ArrayLike<number>, N: number, H: number, W: number, ci: number, co: number): Float64Array {
  const y = new Float64Array(N * 2 * H * 2 * W * co);
  for (let n = 0; n < N; n++)
    for (let h = 0; h < H; h++)
      for (let x0 = 0; x0 < W; x0++)
        for (let i = 0; i < 2; i++)
          for (let j = 0; j < 2; j++)
            for (let o = 0; o < co; o++) {
              let s = 0;
              for (let c = 0; c < ci; c++) s += x[((n * H + h) * W + x0) * ci + c] * w[((i * 2 + j) * co + o) * ci + c];
              y[((n * 2 * H + 2 * h + i) * 2 * W + 2 * x0 + j) * co + o] = s;
            }
  return y;
}

/** PyTorch F.interpolate(bilinear, align_corners=False) on NHWC, written per output pixel. */
export function resizeBilinear(x: ArrayLike<number>, N: number, H: number, W: number, C: number, oh: number, ow: number): Float64Array {
  const y = new Float64Array(N * oh * ow * C);
  const src = (o: number, inS: number, outS: number) => {
    const s = Math.max(0, ((o + 0.5) * inS) / outS - 0.5);
    const i0 = Math.min(Math.floor(s), inS - 1);
    return { i0, i1: Math.min(i0 + 1, inS - 1), l: s - i0 };
  };
  for (let n = 0; n < N; n++)
    for (let a = 0; a < oh; a++) {
      const r = src(a, H, oh);
      for (let b = 0; b < ow; b++) {
        const c0 = src(b, W, ow);
        for (let c = 0; c < C; c++) {
          const v = (yy: number, xx: number) => x[((n * H + yy) * W + xx) * C + c];
          const top = v(r.i0, c0.i0) * (1 - c0.l) + v(r.i0, c0.i1) * c0.l;
          const bot = v(r.i1, c0.i0) * (1 - c0.l) + v(r.i1, c0.i1) * c0.l;
          y[((n * oh + a) * ow + b) * C + c] = top * (1 - r.l) + bot * r.l;
        }
      }
    }
  return y;
}

/** erf by its Taylor series (accurate to ~1e-12 for |x| ≤ 3). */
export function erf(x: number): number {
  let term = x;
  let sum = x;
  for (let n = 1; n < 80; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

export function gelu(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
}

/** LayerNorm over rows of length C. */
export function layerNorm(x: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>, C: number, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / C; r++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += x[r * C + c];
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[r * C + c] - m) ** 2;
    v /= C;
    for (let c = 0; c < C; c++) y[r * C + c] = ((x[r * C + c] - m) / Math.sqrt(v + eps)) * g[c] + b[c];
  }
  return y;
}

/** SAMed loss (0.2/0.8 by default) on logits (P pixels × C classes) and labels (P). */
export function segLoss(logits: ArrayLike<number>, labels: ArrayLike<number>, C: number, ceW = 0.2, diceW = 0.8, weights?: number[]): { loss: number; ce: number; dice: number } {
  const P = labels.length;
  let ceNum = 0;
  let ceDen = 0;
  const inter = new Float64Array(C);
  const z = new Float64Array(C);
  const ySum = new Float64Array(C);
  for (let p = 0; p < P; p++) {
    let mx = -Infinity;
    for (let c = 0; c < C; c++) mx = Math.max(mx, logits[p * C + c]);
    let se = 0;
    for (let c = 0; c < C; c++) se += Math.exp(logits[p * C + c] - mx);
    const y = labels[p];
    const wy = weights ? weights[y] : 1;
    ceNum += wy * -(logits[p * C + y] - mx - Math.log(se));
    ceDen += wy;
    for (let c = 0; c < C; c++) {
      const pr = Math.exp(logits[p * C + c] - mx) / se;
      z[c] += pr * pr;
      if (c === y) {
        inter[c] += pr;
        ySum[c] += 1;
      }
    }
  }
  let dice = 0;
  for (let c = 0; c < C; c++) dice += (weights ? weights[c] : 1) * (1 - (2 * inter[c] + 1e-5) / (z[c] + ySum[c] + 1e-5));
  dice /= C;
  const ce = ceNum / ceDen;
  return { loss: ceW * ce + diceW * dice, ce, dice };
}
