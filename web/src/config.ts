// Deploy-time configuration: the same build runs locally and on CloudFront; /config.json says
// how people sign in and where the API is. The last good copy is kept so the app opens offline.
export interface LocalConfig {
  readonly auth: 'local';
  /** Empty: the API is on the page's own origin (`claims start` serves both). */
  readonly apiBase: string;
  /** The demo users the local runtime signs in, offered on the sign-in form. */
  readonly demoUsers: readonly string[];
}

export interface CognitoConfig {
  readonly auth: 'cognito';
  readonly userPoolId: string;
  readonly clientId: string;
  /** Hosted UI domain, e.g. claims.auth.ap-east-1.amazoncognito.com (https:// optional). */
  readonly domain: string;
  readonly apiBase: string;
}

export type AppConfig = LocalConfig | CognitoConfig;

const CACHE_KEY = 'claims.config';

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function parseConfig(raw: unknown): AppConfig {
  const o = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const apiBase = (str(o.apiBase) ?? '').replace(/\/+$/, '');
  if (o.auth === 'cognito') {
    const userPoolId = str(o.userPoolId);
    const clientId = str(o.clientId);
    const domain = str(o.domain);
    if (!userPoolId || !clientId || !domain || !apiBase) {
      throw new Error('config.json: cognito needs userPoolId, clientId, domain and apiBase');
    }
    return { auth: 'cognito', userPoolId, clientId, domain, apiBase };
  }
  if (o.auth === 'local') {
    const demoUsers = Array.isArray(o.demoUsers)
      ? o.demoUsers.filter((u): u is string => typeof u === 'string')
      : [];
    return { auth: 'local', apiBase, demoUsers };
  }
  throw new Error('config.json: auth must be "local" or "cognito"');
}

export async function loadConfig(): Promise<AppConfig> {
  try {
    const response = await fetch('/config.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    const config = parseConfig(await response.json());
    try {
      localStorage.setItem(CACHE_KEY, JSON.stringify(config));
    } catch {
      // Storage full or disabled: fine, just no offline start.
    }
    return config;
  } catch (error) {
    const cached = localStorage.getItem(CACHE_KEY);
    if (cached) return parseConfig(JSON.parse(cached));
    throw error;
  }
}
