// Types of scripts/package.mjs for the TypeScript tests that import it.
export function electronVersion(): string;
export function packagesOnlyFor(notShipped?: string[], installOnly?: string[]): string[];
export function explainFetchFailure(err: unknown, stage: string, version: string): string | undefined;
export function packageApp(options?: { dir?: boolean; electronDist?: string; rebuild?: boolean; output?: string }): Promise<{ appOutDir: string | undefined; artifacts: string[] }>;
