// Who is signed in. Locally: the runtime's demo sign-in (POST /local/sign-in). Deployed:
// Cognito's hosted UI with the authorization-code flow and PKCE (a public client has no
// secret, and the code never carries tokens in the URL). The ID token is the bearer token:
// it carries cognito:username and cognito:groups, which the API's JWT authorizer reads.
import type { AppConfig, CognitoConfig } from './config.ts';

export interface Session {
  readonly token: string;
  /** Epoch ms when the token stops working. */
  readonly expiresAt: number;
  readonly refreshToken?: string;
}

const SESSION_KEY = 'claims.session';
const PKCE_KEY = 'claims.pkce';

export function loadSession(): Session | undefined {
  try {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return undefined;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token !== 'string' || typeof s.expiresAt !== 'number') return undefined;
    if (s.expiresAt <= Date.now() && !s.refreshToken) return undefined;
    return s as Session;
  } catch {
    return undefined;
  }
}

export function saveSession(session: Session | undefined): void {
  if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else localStorage.removeItem(SESSION_KEY);
}

/** The `exp` of a JWT, in epoch ms; the payload is read, not verified (the API verifies). */
export function tokenExpiry(token: string): number {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const exp = (JSON.parse(json) as { exp?: unknown }).exp;
    if (typeof exp === 'number') return exp * 1000;
  } catch {
    // Not a JWT we can read: assume an hour.
  }
  return Date.now() + 3_600_000;
}

export class SignInError extends Error {
  override readonly name = 'SignInError';
  /** The catalog's code for people (the message is the provider's own words, for the console). */
  constructor(
    message: string,
    readonly code = 'SIGN_IN',
  ) {
    super(message);
  }
}

export async function localSignIn(config: AppConfig, username: string): Promise<Session> {
  const response = await fetch(`${config.apiBase}/local/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: username.trim() }),
  });
  const body = (await response.json().catch(() => ({}))) as {
    token?: string;
    error?: { code?: string; message?: string };
  };
  if (!response.ok || !body.token) {
    throw new SignInError(body.error?.message ?? `HTTP ${response.status}`, body.error?.code);
  }
  return { token: body.token, expiresAt: tokenExpiry(body.token) };
}

function hostedUi(config: CognitoConfig): string {
  const domain = config.domain.replace(/\/+$/, '');
  return domain.startsWith('https://') ? domain : `https://${domain}`;
}

const redirectUri = () => `${location.origin}/`;

function base64Url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(bytes: number): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** Sends the browser to the hosted UI; it comes back to `/?code=...&state=...`. */
export async function cognitoSignIn(config: CognitoConfig): Promise<void> {
  const verifier = randomString(48);
  const state = randomString(16);
  const challenge = base64Url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, hash: location.hash }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid email profile',
    state,
    code_challenge_method: 'S256',
    code_challenge: challenge,
  });
  location.assign(`${hostedUi(config)}/oauth2/authorize?${query.toString()}`);
}

interface TokenResponse {
  id_token?: string;
  refresh_token?: string;
  error?: string;
}

async function tokenRequest(config: CognitoConfig, form: Record<string, string>): Promise<TokenResponse> {
  const response = await fetch(`${hostedUi(config)}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  const body = (await response.json().catch(() => ({}))) as TokenResponse;
  if (!response.ok || !body.id_token) throw new SignInError(body.error ?? `HTTP ${response.status}`);
  return body;
}

/**
 * Finishes a hosted-UI round trip if this page load is one: trades the code for tokens and
 * cleans the URL. Returns undefined on an ordinary page load.
 */
export async function completeCognitoSignIn(config: CognitoConfig): Promise<Session | undefined> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const error = params.get('error');
  if (!code && !error) return undefined;
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? '{}') as {
    verifier?: string;
    state?: string;
    hash?: string;
  };
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, '', `${location.pathname}${saved.hash ?? ''}`);
  if (error) throw new SignInError(params.get('error_description') ?? error);
  // A code without our state is someone else's redirect (CSRF): refuse it.
  if (!saved.verifier || !code || params.get('state') !== saved.state) {
    throw new SignInError('the sign-in response does not match this browser; sign in again');
  }
  const tokens = await tokenRequest(config, {
    grant_type: 'authorization_code',
    client_id: config.clientId,
    code,
    redirect_uri: redirectUri(),
    code_verifier: saved.verifier,
  });
  const token = tokens.id_token ?? '';
  return {
    token,
    expiresAt: tokenExpiry(token),
    ...(tokens.refresh_token ? { refreshToken: tokens.refresh_token } : {}),
  };
}

export async function refreshSession(config: AppConfig, session: Session): Promise<Session | undefined> {
  if (config.auth !== 'cognito' || !session.refreshToken) return undefined;
  try {
    const tokens = await tokenRequest(config, {
      grant_type: 'refresh_token',
      client_id: config.clientId,
      refresh_token: session.refreshToken,
    });
    const token = tokens.id_token ?? '';
    return { token, expiresAt: tokenExpiry(token), refreshToken: session.refreshToken };
  } catch {
    return undefined;
  }
}

/** Where the browser goes after the session is dropped (Cognito also ends its own session). */
export function signOutUrl(config: AppConfig): string | undefined {
  if (config.auth !== 'cognito') return undefined;
  const query = new URLSearchParams({ client_id: config.clientId, logout_uri: redirectUri() });
  return `${hostedUi(config)}/logout?${query.toString()}`;
}
