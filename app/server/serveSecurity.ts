// Who may talk to `pasam serve`: a random session token on every request, and only pages of our own
// origin (Host and Origin checked, which also defeats DNS rebinding).
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export function newSessionToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokenCookieName(port: number): string {
  // Cookies ignore the port; one name per port keeps two servers on one host apart.
  return `pasam_token_${port}`;
}

export function sameToken(given: string | undefined | null, token: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export interface OriginPolicy {
  port: number;
  /** Host names (without port) a browser may use to reach us. Empty = any (explicit remote mode). */
  allowedHostNames: string[];
}

export function loopbackPolicy(port: number, extraHost?: string): OriginPolicy {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  if (extraHost && !names.includes(extraHost)) names.push(extraHost.includes(':') ? `[${extraHost}]` : extraHost);
  return { port, allowedHostNames: names };
}

/** The reason a request is refused, or null if Host/Origin are acceptable. */
export function checkHostAndOrigin(headers: IncomingHttpHeaders, policy: OriginPolicy): string | null {
  const host = headers.host;
  if (!host) return 'missing Host header';
  if (policy.allowedHostNames.length > 0) {
    const ok = policy.allowedHostNames.some((n) => host === `${n}:${policy.port}` || (policy.port === 80 && host === n));
    if (!ok) return `Host '${host}' is not this server`;
  }
  const origin = headers.origin;
  // Same-origin GETs of <img>/<script> carry no Origin; anything that does must be our own page.
  if (origin !== undefined && origin !== `http://${host}`) return `Origin '${origin}' is not allowed`;
  const site = headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site request (${site}) refused`;
  return null;
}

export function requestToken(headers: IncomingHttpHeaders, port: number, queryToken: string | null): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice(7);
  const h = headers['x-pasam-token'];
  if (typeof h === 'string') return h;
  // A page opened with ?token= wins over the cookie: after a restart the cookie holds the old
  // session's token, and the new URL must still sign the tab in.
  if (queryToken) return queryToken;
  const c = readCookie(headers.cookie, tokenCookieName(port));
  if (c) return c;
  return undefined;
}
