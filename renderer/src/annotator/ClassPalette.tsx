// The class palette: select the class to paint, recolour, hide or fade a class, add a class.
import { useState } from 'react';
import type { ApiClient } from '../apiClient.js';
import type { ClassDef } from '../../../app/api/apiTypes.js';
import type { ToastState } from '../components/Toasts.js';
import { Icon } from '../components/Icons.js';
import type { ClassStyle } from './overlayRenderer.js';

const PALETTE = ['#e6194b', '#3cb44b', '#ffe119', '#4363d8', '#f58231', '#911eb4', '#46f0f0', '#f032e6', '#bcf60c'];

export type StyleOverrides = Map<number, { opacity: number; visible: boolean }>;

export function ClassPalette(props: {
  api: ApiClient;
  toasts: ToastState;
  classes: ClassDef[];
  classStyles: Map<number, ClassStyle>;
  setStyles: (f: (m: StyleOverrides) => StyleOverrides) => void;
  classIdx: number;
  setClassIdx(i: number): void;
}) {
  const { api, toasts, classes, classStyles, classIdx } = props;
  const [newClass, setNewClass] = useState('');
  const addClass = async () => {
    try {
      const list = await api.call('classes.add', { name: newClass.trim(), color: PALETTE[classes.length % PALETTE.length]! });
      setNewClass('');
      // Back to the canvas: the next key press is a shortcut again, not more typing.
      (document.activeElement as HTMLElement | null)?.blur();
      const added = list[list.length - 1];
      if (added) props.setClassIdx(added.index);
    } catch (err) {
      toasts.error(err);
    }
  };
  const recolor = async (index: number, color: string) => {
    try {
      await api.call('classes.update', { index, color });
    } catch (err) {
      toasts.error(err);
    }
  };
  return (
    <>
      <h3>Classes</h3>
      <ul className="palette" data-testid="palette">
        {classes.map((c) => {
          const s = classStyles.get(c.index)!;
          return (
            <li key={c.index} className={c.index === classIdx ? 'active' : ''} data-testid={`class-${c.index}`}>
              <button className="swatch-btn" onClick={() => props.setClassIdx(c.index)} title={`Select ${c.name} (${c.index <= 9 ? c.index : ''})`}>
                <span className="swatch" style={{ background: c.color }} />
                <span className="cname">{c.name}</span>
                <span className="ckey">{c.index <= 9 ? c.index : ''}</span>
              </button>
              <div className="class-controls">
                <input type="color" className="mini-color" value={c.color} title="Class colour" onChange={(e) => void recolor(c.index, e.target.value)} aria-label={`Colour of ${c.name}`} />
                <button className="icon" title={s.visible ? 'Hide this class' : 'Show this class'} onClick={() => props.setStyles((m) => new Map(m).set(c.index, { opacity: s.opacity, visible: !s.visible }))}>
                  <Icon name={s.visible ? 'eye' : 'eyeOff'} size={15} />
                </button>
                <input type="range" min={0} max={100} value={Math.round(s.opacity * 100)} title="Opacity" onChange={(e) => props.setStyles((m) => new Map(m).set(c.index, { visible: s.visible, opacity: Number(e.target.value) / 100 }))} />
              </div>
            </li>
          );
        })}
      </ul>
      <form
        className="row add-class"
        onSubmit={(e) => {
          e.preventDefault();
          void addClass();
        }}
      >
        <input className="grow" value={newClass} onChange={(e) => setNewClass(e.target.value)} placeholder="New class…" aria-label="New class name" data-testid="new-class-name" />
        <button type="submit" disabled={!newClass.trim()}>
          Add
        </button>
      </form>
    </>
  );
}
