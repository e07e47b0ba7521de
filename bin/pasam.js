#!/usr/bin/env node
// The `pasam` command. In a source checkout the CLI is TypeScript that tsx compiles on load, so no
// build step is needed; an installed package (npm pack ships out/ and no sources, see "files" in
// package.json) runs the pre-built bundle and needs no compiler. One check, once, at start.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const source = new URL('../app/cli/main.ts', import.meta.url);
let main;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(source.href));
} else {
  ({ main } = createRequire(import.meta.url)('../out/pasam.cjs'));
}
process.exitCode = await main(process.argv.slice(2));
