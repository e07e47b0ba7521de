export const RENDERER_DIST: string;
export function buildRenderer(): Promise<void>;
export function ensureRendererBuilt(): Promise<boolean>;
