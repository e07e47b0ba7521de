// Learning-rate schedule (PA-SAM.md §9): linear warm-up over the first fraction of the steps,
// then polynomial decay (1 − t/T)^power to 0 at the last step (SAMed's schedule, with the decay
// spread over the steps after warm-up so that it ends exactly at totalSteps).

export interface LrSchedule {
  baseLr: number;
  totalSteps: number;
  /** Fraction of totalSteps spent warming up (default 0.05). */
  warmupFraction?: number;
  /** Poly decay exponent (default 0.9). */
  power?: number;
}

/** Number of warm-up steps: round(fraction · total), at least 1 when the fraction is > 0. */
export function warmupSteps(s: LrSchedule): number {
  const f = s.warmupFraction ?? 0.05;
  return f > 0 ? Math.max(1, Math.round(f * s.totalSteps)) : 0;
}

/**
 * Learning rate for optimiser step `step` (0-based: the first update uses lrAt(0)).
 * Warm-up: base·(step+1)/W for step < W (SAMed). Then base·(1 − (step−W)/(T−W))^power.
 */
export function lrAt(step: number, s: LrSchedule): number {
  if (!(s.totalSteps > 0)) throw new Error(`lrAt: totalSteps must be positive, got ${s.totalSteps}`);
  const w = warmupSteps(s);
  if (step < w) return (s.baseLr * (step + 1)) / w;
  const span = Math.max(1, s.totalSteps - w);
  const frac = Math.min(1, Math.max(0, (step - w) / span));
  return s.baseLr * (1 - frac) ** (s.power ?? 0.9);
}
