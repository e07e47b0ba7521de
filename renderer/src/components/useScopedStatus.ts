// A status message (or an action's result) that belongs to the context it was produced in: the
// page, project and image of the status bar; a dialog's options; the runs being compared. Once the
// context changes the status is gone (and does not come back when the user returns to the old
// context), and an action that ends after its context changed reports nothing. One rule for every
// page, instead of remembering to clear each message by hand.
import { useCallback, useRef, useState } from 'react';

export interface ScopedStatus<T> {
  /** The status, or null when none was set in the current context. */
  value: T | null;
  /** Shows `value` (null clears) in the current context. */
  set(value: T | null): void;
  /**
   * For an action starting now: clears the status and returns the action's reporter, which shows
   * what the action ends with only if the context is still the one it started in.
   */
  begin(): (value: T | null) => void;
}

/** `scope`: the values that make up the context (compared by their JSON). */
export function useScopedStatus<T>(scope: readonly unknown[]): ScopedStatus<T> {
  const key = JSON.stringify(scope);
  // A new generation per change of context, counted during render so that the effects of the
  // components rendered with the new context (children run theirs first) already belong to it.
  const context = useRef({ key, generation: 0 });
  if (context.current.key !== key) context.current = { key, generation: context.current.generation + 1 };
  const [stored, setStored] = useState<{ generation: number; value: T } | null>(null);

  const set = useCallback((value: T | null) => setStored(value === null ? null : { generation: context.current.generation, value }), []);
  const begin = useCallback(() => {
    const generation = context.current.generation;
    setStored(null);
    return (value: T | null) => {
      if (context.current.generation === generation) setStored(value === null ? null : { generation, value });
    };
  }, []);

  const value = stored !== null && stored.generation === context.current.generation ? stored.value : null;
  return { value, set, begin };
}
