// The CLI's HTTP client for the claims API. Locally `--as USER` signs in as a demo user through
// the local runtime's sign-in route, which only exists there.
import { CliError } from '#cli/claims.ts';
import { renderApiError } from '#shared/messages/render.ts';

export const DEFAULT_API = 'http://127.0.0.1:8787';

export interface ApiClient {
  readonly base: string;
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<unknown>;
  raw(method: string, path: string): Promise<Response>;
}

export async function connect(apiOption: string | boolean | undefined, user: string): Promise<ApiClient> {
  const base = (typeof apiOption === 'string' ? apiOption : DEFAULT_API).replace(/\/$/, '');
  const token = process.env.CLAIMS_TOKEN ?? (await signIn(base, user));
  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    try {
      return await fetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body !== undefined && typeof body !== 'string' ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
    } catch {
      throw new CliError(`cannot reach the API at ${base} (is \`claims start\` running?)`);
    }
  };
  return {
    base,
    async request(method, path, body, headers) {
      const response = await call(method, path, body, headers);
      return readJson(response);
    },
    raw: (method, path) => call(method, path),
  };
}

async function signIn(base: string, username: string): Promise<string> {
  let response: Response;
  try {
    response = await fetch(`${base}/local/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username }),
    });
  } catch {
    throw new CliError(`cannot reach the API at ${base} (is \`claims start\` running?)`);
  }
  if (response.status === 404) {
    throw new CliError(
      'this API has no local sign-in; set CLAIMS_TOKEN to a token from your identity provider',
    );
  }
  const body = (await readJson(response)) as { token?: string };
  if (!body.token) throw new CliError('sign-in returned no token');
  return body.token;
}

export async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    throw new CliError(`API answered ${response.status} with a body that is not JSON`);
  }
  if (!response.ok) {
    const error = (body as { error?: { code?: string; params?: Record<string, string | number> } }).error;
    // The code for programs and searches, the catalog's words for people (Chinese, as the CLI's default).
    const code = error?.code ?? `HTTP_${response.status}`;
    throw new CliError(`${code}: ${renderApiError(code, error?.params ?? {}, 'zh')}`);
  }
  return body;
}
