// The comparison the person is building, shared by the Compare and Reports pages (and the "add to
// comparison" links elsewhere): the selected runs, the reference, the x axis, the smoothing weight
// and whether repeats are drawn as bands. Kept in this tab's sessionStorage so a reload keeps it.
import { createContext, useContext, useEffect, useState } from 'react';
import type { AlignAxis } from '../../main/ipc/api-types';

export interface Selection {
  runIds: string[];
  referenceRunId: string | null;
  align: AlignAxis;
  smoothing: number;
  bands: boolean;
}

export const defaultSelection: Selection = { runIds: [], referenceRunId: null, align: 'step', smoothing: 0.6, bands: true };

const KEY = 'fleettune.selection';

export interface SelectionState {
  selection: Selection;
  update(patch: Partial<Selection>): void;
  toggleRun(id: string): void;
}

export const SelectionContext = createContext<SelectionState>({ selection: defaultSelection, update: () => {}, toggleRun: () => {} });

export function useSelection(): SelectionState {
  return useContext(SelectionContext);
}

function load(): Selection {
  try {
    const raw = typeof sessionStorage === 'undefined' ? null : sessionStorage.getItem(KEY);
    return raw ? { ...defaultSelection, ...(JSON.parse(raw) as Partial<Selection>) } : defaultSelection;
  } catch {
    return defaultSelection;
  }
}

export function useSelectionState(): SelectionState {
  const [selection, setSelection] = useState<Selection>(load);
  useEffect(() => {
    if (typeof sessionStorage !== 'undefined') sessionStorage.setItem(KEY, JSON.stringify(selection));
  }, [selection]);
  return {
    selection,
    update: (patch) => setSelection((s) => ({ ...s, ...patch })),
    toggleRun: (id) => setSelection((s) => {
      const runIds = s.runIds.includes(id) ? s.runIds.filter((x) => x !== id) : [...s.runIds, id];
      return { ...s, runIds, referenceRunId: s.referenceRunId && runIds.includes(s.referenceRunId) ? s.referenceRunId : null };
    }),
  };
}
