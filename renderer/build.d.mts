export const RENDERER_DIST: string;
export function buildRenderer(outDir?: string): Promise<void>;
export function ensureRendererBuilt(): Promise<boolean>;
