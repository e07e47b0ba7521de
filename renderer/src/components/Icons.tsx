// Small stroke icons (inline SVG: no icon font, nothing fetched, renders on any system).
const PATHS: Record<string, string> = {
  brush: 'M14.5 3.5l6 6-8.5 8.5-6-6zM6 12l6 6M6 12c-2.5 0-4 2-4 5v3h3c3 0 5-1.5 5-4',
  eraser: 'M7 21h13M4.6 15.6l9.9-9.9a2 2 0 012.8 0l2.9 2.9a2 2 0 010 2.8L12 19.6a2 2 0 01-1.4.6H8.4a2 2 0 01-1.4-.6l-2.4-2.4a1.1 1.1 0 010-1.6zM9 11l6 6',
  polygon: 'M12 3l8 6-3 11H7L4 9z',
  sam: 'M12 2v5M12 17v5M2 12h5M17 12h5M12 9a3 3 0 110 6 3 3 0 010-6z',
  undo: 'M9 14L4 9l5-5M4 9h11a5 5 0 010 10h-3',
  redo: 'M15 14l5-5-5-5M20 9H9a5 5 0 000 10h3',
  eye: 'M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12zM12 9a3 3 0 110 6 3 3 0 010-6z',
  eyeOff: 'M3 3l18 18M10.6 10.6a2 2 0 002.8 2.8M9.9 5.2A10 10 0 0112 5c6.5 0 10 7 10 7a17 17 0 01-3 3.9M6.6 6.6C3.9 8.4 2 12 2 12s3.5 7 10 7a9.7 9.7 0 005.4-1.6',
  fit: 'M4 9V4h5M20 9V4h-5M4 15v5h5M20 15v5h-5',
  help: 'M12 22a10 10 0 110-20 10 10 0 010 20zM9.1 9a3 3 0 015.8 1c0 2-3 3-3 3M12 17h.01',
  next: 'M9 6l6 6-6 6',
  prev: 'M15 6l-6 6 6 6',
  skip: 'M5 6l7 6-7 6M13 6l7 6-7 6',
  check: 'M20 6L9 17l-5-5',
  wand: 'M15 4V2M15 16v-2M8 9h2M20 9h2M17.8 11.8l1.4 1.4M17.8 6.2l1.4-1.4M12.2 6.2l-1.4-1.4M3 21l9-9',
  folder: 'M3 7a2 2 0 012-2h4l2 2h8a2 2 0 012 2v8a2 2 0 01-2 2H5a2 2 0 01-2-2z',
};

export type IconName = keyof typeof PATHS;

export function Icon({ name, size = 18 }: { name: IconName; size?: number }) {
  return (
    <svg className="icon-svg" width={size} height={size} viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={1.8} strokeLinecap="round" strokeLinejoin="round" aria-hidden>
      <path d={PATHS[name]} />
    </svg>
  );
}
