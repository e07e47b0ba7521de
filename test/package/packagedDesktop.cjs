'use strict';
// Runs the packaged Electron main bundle (out/electronMain.cjs, the app core bundled inside it) in
// plain Node with the electron stub installed as the app's node_modules/electron, then drives it as
// the window would: IPC calls through the registered handler, page requests through the app://
// protocol handler. Prints one JSON line. Usage: node packagedDesktop.cjs <appDir> <workspace> <newProjectDir>
const path = require('node:path');
const runDriver = require('./runDriver.cjs');

async function main() {
  const [appDir, workspace, newProjectDir] = process.argv.slice(2);
  const mainBundle = path.join(appDir, 'out', 'electronMain.cjs');
  // What a packaged Electron sees: [executable, ...arguments].
  process.argv = [process.argv[0], '--workspace', workspace];
  const electron = require(path.join(appDir, 'node_modules', 'electron'));
  const { ipcHandlers, protocolHandlers, windows, errors } = electron.__stub;
  require(mainBundle);
  const deadline = Date.now() + 60_000;
  while (!(ipcHandlers.has('pasam:invoke') && windows.length > 0)) {
    if (errors.length) throw new Error(errors.join('\n'));
    if (Date.now() > deadline) throw new Error('the main bundle did not open a window within 60 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  const win = windows[0];
  const handler = ipcHandlers.get('pasam:invoke');
  const fromPage = { sender: win.webContents, senderFrame: { url: 'app://pasam/index.html' } };
  const invoke = (method, params) => handler(fromPage, method, params);
  const out = { windowUrl: win.url, webPreferences: win.options.webPreferences };
  out.recentBefore = await invoke('projects.recent', {});
  out.created = await invoke('projects.create', { dir: newProjectDir, name: 'Packaged', classes: [{ name: 'scratch', color: '#00ff00' }] });
  out.recentAfter = await invoke('projects.recent', {});
  out.samStatus = await invoke('sam.status', {});
  out.untrusted = await handler({ sender: {}, senderFrame: { url: 'https://example.com/' } }, 'projects.recent', {});
  const page = await protocolHandlers.get('app')(new Request('app://pasam/index.html'));
  out.page = { status: page.status, csp: page.headers.get('content-security-policy'), body: await page.text() };
  const script = await protocolHandlers.get('app')(new Request('app://pasam/app.js'));
  out.script = { status: script.status, bytes: (await script.arrayBuffer()).byteLength };
  electron.app.emit('window-all-closed');
  out.quitCalled = electron.app.quitCalled;
  out.errors = errors;
  return out;
}

runDriver(main);
