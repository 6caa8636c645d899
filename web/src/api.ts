// The HTTP API as the browser sees it: bearer token, JSON in and out, errors with the API's
// stable code so the UI can say them in plain words.
import type { AppConfig } from './config.ts';
import { refreshSession, saveSession, type Session } from './auth.ts';
import type {
  RoundAnswer,
  ClaimDetail,
  ClaimPage,
  ClaimView,
  CreatedClaim,
  DecideResult,
  DisburseResult,
  HouseholdList,
  ExportJobView,
  LedgerList,
  Policy,
  Principal,
  Quote,
  ReceiptLink,
  RetryAnswer,
  RosterImportResult,
  CreatedJob,
  JobView,
  Reconciliation,
  ReissueAnswer,
} from './types.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** What the catalog's words for `code` need (the API's `params`). */
    readonly params: Readonly<Record<string, string | number>> = {},
  ) {
    super(message);
  }
}

/** The request never got an answer: offline, DNS, a dropped connection. Worth retrying. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

// navigator.onLine says little (a phone with a cell signal but no data is "online"), so the
// banner also listens to what actually happened to our requests.
const connectivity = new Set<(reachable: boolean) => void>();
let lastReachable = true;

function reachable(ok: boolean): void {
  if (ok === lastReachable) return;
  lastReachable = ok;
  for (const listener of connectivity) listener(ok);
}

export function onConnectivity(listener: (reachable: boolean) => void): () => void {
  connectivity.add(listener);
  return () => connectivity.delete(listener);
}

let config: AppConfig | undefined;
let session: Session | undefined;
let onUnauthorized: () => void = () => {};

export function configureApi(c: AppConfig, s: Session | undefined, unauthorized: () => void): void {
  config = c;
  session = s;
  onUnauthorized = unauthorized;
}

export function setApiSession(s: Session | undefined): void {
  session = s;
}

export function apiBase(): string {
  return config?.apiBase ?? '';
}

async function currentToken(): Promise<string | undefined> {
  if (session && config && session.expiresAt - Date.now() < 60_000 && session.refreshToken) {
    const renewed = await refreshSession(config, session);
    if (renewed) {
      session = renewed;
      saveSession(renewed);
    }
  }
  return session?.token;
}

export async function apiFetch(method: string, path: string, init: RequestInit = {}): Promise<Response> {
  const token = await currentToken();
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(`${apiBase()}${path}`, { ...init, method, headers, cache: 'no-store' });
  } catch (error) {
    reachable(false);
    throw new NetworkError(error instanceof Error ? error.message : String(error));
  }
  reachable(true);
  if (response.status === 401) {
    onUnauthorized();
    throw new ApiError(401, 'UNAUTHENTICATED', 'sign in again');
  }
  return response;
}

export async function errorFrom(response: Response): Promise<ApiError> {
  const body = (await response.json().catch(() => ({}))) as {
    error?: { code?: string; message?: string; params?: Record<string, string | number> };
  };
  return new ApiError(
    response.status,
    body.error?.code ?? `HTTP_${response.status}`,
    body.error?.message ?? response.statusText,
    body.error?.params ?? {},
  );
}

export async function apiJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit =
    body === undefined
      ? {}
      : typeof body === 'string'
        ? { body, headers: { 'content-type': 'text/csv; charset=utf-8' } }
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
  const response = await apiFetch(method, path, init);
  if (!response.ok) throw await errorFrom(response);
  return (await response.json()) as T;
}

function query(params: Record<string, string | number | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const text = q.toString();
  return text ? `?${text}` : '';
}

export interface ClaimQuery {
  state?: string;
  category?: string;
  householdId?: string;
  limit?: number;
  cursor?: string;
}

export interface LedgerQuery {
  from: string;
  to: string;
  region?: string;
  category?: string;
}

export const api = {
  me: () => apiJson<Principal>('GET', '/me'),
  households: () => apiJson<HouseholdList>('GET', '/households'),
  claims: (q: ClaimQuery = {}) => apiJson<ClaimPage>('GET', `/claims${query({ ...q })}`),
  claim: (id: string) => apiJson<ClaimDetail>('GET', `/claims/${encodeURIComponent(id)}`),
  receipt: (id: string, n: number) =>
    apiJson<ReceiptLink>('GET', `/claims/${encodeURIComponent(id)}/receipts/${n}`),
  createClaim: (body: {
    householdId: string;
    category: string;
    expenseDate: string;
    totalCost: string;
    reimbursed: string;
    receipts: { contentType: string }[];
  }) => apiJson<CreatedClaim>('POST', '/claims', body),
  decide: (id: string, body: { gate: string; decision: 'approve' | 'reject'; comment?: string }) =>
    apiJson<DecideResult>('POST', `/claims/${encodeURIComponent(id)}/reviews`, body),
  retry: (id: string) => apiJson<RetryAnswer>('POST', `/claims/${encodeURIComponent(id)}/retry`),
  object: (id: string, text: string) =>
    apiJson<RoundAnswer>('POST', `/claims/${encodeURIComponent(id)}/objections`, { text }),
  appeal: (id: string, text: string) =>
    apiJson<RoundAnswer>('POST', `/claims/${encodeURIComponent(id)}/appeal`, { text }),
  policies: () => apiJson<{ items: Policy[] }>('GET', '/policies'),
  quote: (body: {
    region: string;
    category: string;
    totalCost: string;
    reimbursed?: string;
    expenseDate?: string;
    householdId?: string;
  }) => apiJson<Quote>('POST', '/quotes', body),
  ledger: (q: LedgerQuery) => apiJson<LedgerList>('GET', `/ledger${query({ ...q })}`),
  /** Starts an export job (the file is written in the background, whatever the ledger's size). */
  createExport: (q: LedgerQuery, format: 'csv' | 'xlsx', lang: 'zh' | 'en') =>
    apiJson<ExportJobView>('POST', '/ledger/exports', {
      from: q.from,
      to: q.to,
      ...(q.region ? { region: q.region } : {}),
      ...(q.category ? { category: q.category } : {}),
      format,
      lang,
    }),
  /** An export job's progress; once done, its control total and a fresh short-lived link. */
  getExport: (jobId: string) => apiJson<ExportJobView>('GET', `/ledger/exports/${encodeURIComponent(jobId)}`),
  disburse: (body: { claimIds: string[]; batchRef: string }) =>
    apiJson<DisburseResult>('POST', '/ledger/disbursements', body),
  importRoster: (csv: string) => apiJson<RosterImportResult>('POST', '/roster/imports', csv),
  /** A bulk-file job and the form to upload its file with. */
  createImport: (kind: 'roster' | 'members' | 'bank-result' | 'medical-feed' | 'education-feed') =>
    apiJson<CreatedJob>('POST', '/imports', { kind }),
  getImport: (jobId: string) => apiJson<JobView>('GET', `/imports/${encodeURIComponent(jobId)}`),
  /** A failed transfer back to PAID once the household's roster account is corrected. */
  reissue: (id: string) => apiJson<ReissueAnswer>('POST', `/claims/${encodeURIComponent(id)}/reissue`),
  /** Paid = disbursed + failed + outstanding for a period (finance, admin). */
  reconciliation: (q: Pick<LedgerQuery, 'from' | 'to' | 'region'>) =>
    apiJson<Reconciliation>('GET', `/ledger/reconciliation${query({ ...q })}`),
  /** The same figures as a CSV file, headers in `lang`. */
  reconciliationCsv: async (q: Pick<LedgerQuery, 'from' | 'to' | 'region'>, lang: 'zh' | 'en') => {
    const response = await apiFetch('GET', `/ledger/reconciliation${query({ ...q, format: 'csv', lang })}`);
    if (!response.ok) throw await errorFrom(response);
    return response.blob();
  },
};

/** Every claim matching `q`, page by page, up to `max` (the dashboard's source). */
export async function allClaims(
  q: ClaimQuery,
  max: number,
): Promise<{ items: ClaimView[]; partial: boolean }> {
  const items: ClaimView[] = [];
  let cursor: string | undefined;
  do {
    const page = await api.claims({ ...q, limit: 200, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor && items.length < max);
  return { items: items.slice(0, max), partial: cursor !== undefined };
}
