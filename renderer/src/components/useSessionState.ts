// useState that survives leaving the page (sessionStorage, per key): settings typed into a form
// are still there when the user comes back from another tab.
import { useEffect, useState } from 'react';

export function useSessionState<T>(key: string, initial: T): [T, React.Dispatch<React.SetStateAction<T>>, boolean] {
  const [restored] = useState(() => {
    try {
      const raw = sessionStorage.getItem(key);
      return raw === null ? undefined : (JSON.parse(raw) as T);
    } catch {
      return undefined;
    }
  });
  const [value, setValue] = useState<T>(restored ?? initial);
  useEffect(() => {
    try {
      sessionStorage.setItem(key, JSON.stringify(value));
    } catch {
      /* storage full or disabled: the setting lives as long as the page */
    }
  }, [key, value]);
  return [value, setValue, restored !== undefined && restored !== null];
}
