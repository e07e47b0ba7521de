'use strict';
// Rules of the Electron shell that need no Electron: which pages may call the API, the CSP of our
// pages, and which URLs the renderer may load (only our own app:// origin; no remote content).

const APP_ORIGIN = 'app://pasam';

// The same policy `pasam serve` sends.
const CONTENT_SECURITY_POLICY = require('../app/api/contentSecurityPolicy.json').join('; ');

/** An IPC sender is trusted only if its frame shows a page of our own app:// origin. */
function isTrustedSenderUrl(url) {
  if (typeof url !== 'string') return false;
  try {
    const u = new URL(url);
    return u.protocol === 'app:' && u.host === 'pasam';
  } catch {
    return false;
  }
}

/** Requests the renderer may make: our origin, inline data/blob URLs and devtools; nothing remote. */
function isAllowedRequestUrl(url) {
  try {
    const u = new URL(url);
    if (u.protocol === 'app:') return u.host === 'pasam';
    return u.protocol === 'data:' || u.protocol === 'blob:' || u.protocol === 'devtools:';
  } catch {
    return false;
  }
}

/** Arguments after the main script: [project-dir] [--workspace <dir>]. */
function parseMainArgs(argv) {
  const out = { projectDir: undefined, workspaceDir: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--workspace') out.workspaceDir = argv[++i];
    else if (a.startsWith('--workspace=')) out.workspaceDir = a.slice('--workspace='.length);
    else if (!a.startsWith('-') && out.projectDir === undefined) out.projectDir = a;
  }
  return out;
}

module.exports = { APP_ORIGIN, CONTENT_SECURITY_POLICY, isTrustedSenderUrl, isAllowedRequestUrl, parseMainArgs };
