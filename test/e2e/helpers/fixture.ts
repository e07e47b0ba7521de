// The one fixture module of the browser end-to-end tests: `pasam serve` as a child process
// (serveProcess.ts), Debian Chromium through playwright-core (browser.ts), the NEU-Seg training
// project (neuServeProject.ts), and the preamble every browser test shares — one served project,
// one page on it, both closed after the file's tests.
import { after } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { ServeHandle } from './serveProcess.js';
import { launchBrowser, newPage } from './browser.js';

export { startServe, tempDir, type ServeHandle } from './serveProcess.js';
export { browserSkipReason, launchBrowser, newPage, screenshot } from './browser.js';
export { NEU, NEU_CLASSES, NEU_TRAIN_FOUR, WASM_ENV, startNeuProject, startNeuTrainProject } from './neuServeProject.js';

export interface ServedUi {
  /** Set by the test's before(); a test may replace it (a restarted server) and the new one is stopped. */
  serve: ServeHandle;
  browser: Browser;
  page: Page;
  /** Uncaught page errors, for tests that assert there were none. */
  errors: string[];
  /** Launches Chromium and opens the page (call once `serve` is set). */
  openPage(): Promise<void>;
}

/** Registers the after() hook that closes the browser and stops the server of a browser test file. */
export function useServedUi(): ServedUi {
  const ui = {
    async openPage() {
      ui.browser = await launchBrowser();
      ({ page: ui.page, errors: ui.errors } = await newPage(ui.browser));
    },
  } as ServedUi;
  after(async () => {
    await ui.browser?.close();
    await ui.serve?.stop();
  });
  return ui;
}
