// Refuses work that would push the tensor heap past a safe budget. On wasm the heap silently
// corrupts tensors beyond ~3.6 GiB, so the budget there is well under that.
import { tf } from './tf.js';
import { totalmem } from 'node:os';

const GiB = 1024 ** 3;
export const WASM_SAFE_BYTES = 3.0 * GiB;

export class MemoryBudgetError extends Error {
  constructor(
    readonly what: string,
    readonly neededBytes: number,
    readonly budgetBytes: number,
  ) {
    super(
      `${what} needs about ${(neededBytes / GiB).toFixed(2)} GiB of tensor memory but only ` +
        `${(budgetBytes / GiB).toFixed(2)} GiB is safe on the '${tf.getBackend()}' backend; ` +
        `use a smaller input size or batch, or a native backend`,
    );
    this.name = 'MemoryBudgetError';
  }
}

/** Bytes that may still be allocated by tensors on the active backend. */
export function safeBudgetBytes(): number {
  const used = tf.memory().numBytes;
  const limit = tf.getBackend() === 'wasm' ? WASM_SAFE_BYTES : 0.6 * totalmem();
  return Math.max(0, limit - used);
}

/** Throws MemoryBudgetError when `neededBytes` more would exceed the safe budget. */
export function assertFits(what: string, neededBytes: number): void {
  const budget = safeBudgetBytes();
  if (neededBytes > budget) throw new MemoryBudgetError(what, neededBytes, budget);
}
