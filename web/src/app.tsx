// The shell: sign-in, the header with language switch, the menu for the person's role and
// the page for the current route.
import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, configureApi, NetworkError, onConnectivity, setApiSession } from './api.ts';
import { completeCognitoSignIn, loadSession, saveSession, signOutUrl, type Session } from './auth.ts';
import type { AppConfig } from './config.ts';
import { AppContext, hasRole, rolesAllowed } from './context.ts';
import { getLang, onLangChange, setLang, t, tCode } from './i18n.ts';
import type { MessageKey } from './messages.ts';
import * as outbox from './outbox.ts';
import { clearCache } from './offline-cache.ts';
import { href, useRoute, type Route } from './router.ts';
import type { Principal, Role } from './types.ts';
import { ErrorBox, Loading } from './components.tsx';
import { SignIn } from './pages/sign-in.tsx';
import { Households } from './pages/households.tsx';
import { NewClaim } from './pages/new-claim.tsx';
import { ClaimsList } from './pages/claims-list.tsx';
import { ClaimPage } from './pages/claim-page.tsx';
import { lazyPage } from './lazy-page.tsx';

const ReviewQueue = lazyPage(() => import('./pages/review-queue.tsx').then((m) => m.ReviewQueue));
const Dashboard = lazyPage(() => import('./pages/dashboard.tsx').then((m) => m.Dashboard));
const Ledger = lazyPage(() => import('./pages/ledger.tsx').then((m) => m.Ledger));
const Fund = lazyPage(() => import('./pages/fund.tsx').then((m) => m.Fund));
const RosterImport = lazyPage(() => import('./pages/roster-import.tsx').then((m) => m.RosterImport));
const MembersImport = lazyPage(() => import('./pages/roster-import.tsx').then((m) => m.MembersImport));
const BankImport = lazyPage(() => import('./pages/bank-import.tsx').then((m) => m.BankImport));
const FeedImport = lazyPage(() => import('./pages/feed-import.tsx').then((m) => m.FeedImport));
const PolicyPage = lazyPage(() => import('./pages/policy-page.tsx').then((m) => m.PolicyPage));
const NoticeBoard = lazyPage(() => import('./pages/notice-board.tsx').then((m) => m.NoticeBoard));
const Warnings = lazyPage(() => import('./pages/warnings.tsx').then((m) => m.Warnings));

const PRINCIPAL_KEY = 'claims.me';
// Who sees what follows the API's access table: reviewers are the roles that may decide a gate.
const reviewerRoles = rolesAllowed('decide-review');

interface NavItem {
  readonly path: string;
  readonly label: MessageKey;
  readonly roles: readonly Role[];
}

const nav: readonly NavItem[] = [
  { path: '/households', label: 'nav.households', roles: ['gridWorker'] },
  { path: '/new', label: 'nav.newClaim', roles: ['gridWorker'] },
  { path: '/claims', label: 'nav.myClaims', roles: ['gridWorker'] },
  { path: '/queue', label: 'nav.queue', roles: reviewerRoles },
  { path: '/claims', label: 'nav.claims', roles: [...reviewerRoles, 'admin'] },
  { path: '/dashboard', label: 'nav.dashboard', roles: [...reviewerRoles, 'admin', 'finance'] },
  { path: '/ledger', label: 'nav.ledger', roles: rolesAllowed('list-ledger') },
  { path: '/fund', label: 'nav.fund', roles: rolesAllowed('get-fund') },
  { path: '/roster', label: 'nav.roster', roles: ['admin'] },
  { path: '/members', label: 'nav.members', roles: ['admin'] },
  { path: '/bank', label: 'nav.bank', roles: ['finance', 'admin'] },
  { path: '/feeds', label: 'nav.feed', roles: ['admin', 'insurer'] },
  // The county view of return-to-poverty warnings; grid workers see theirs on their households.
  { path: '/warnings', label: 'nav.warnings', roles: ['admin', 'insurer'] },
  { path: '/policy', label: 'nav.policy', roles: ['admin', ...reviewerRoles] },
  // The village notice board is public in the village: every role may read it.
  { path: '/notice', label: 'nav.notice', roles: rolesAllowed('list-notices') },
];

function homeOf(principal: Principal): string {
  if (hasRole(principal, 'gridWorker')) return '/households';
  if (hasRole(principal, ...reviewerRoles)) return '/queue';
  if (hasRole(principal, 'finance')) return '/ledger';
  return '/roster';
}

function cachedPrincipal(): Principal | undefined {
  try {
    return JSON.parse(localStorage.getItem(PRINCIPAL_KEY) ?? 'null') ?? undefined;
  } catch {
    return undefined;
  }
}

type Auth =
  | { kind: 'starting' }
  | { kind: 'signedOut'; message?: string }
  | { kind: 'signedIn'; principal: Principal }
  | { kind: 'failed'; error: unknown };

export function App({ config }: { config: AppConfig }) {
  const [, setLangTick] = useState(getLang());
  const [auth, setAuth] = useState<Auth>({ kind: 'starting' });
  const [online, setOnline] = useState(navigator.onLine);
  const [reachable, setReachable] = useState(true);
  const route = useRoute();

  useEffect(() => onLangChange(setLangTick), []);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    const unsubscribe = onConnectivity(setReachable);
    return () => {
      unsubscribe();
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }, []);

  const signOut = (message?: string) => {
    outbox.stop();
    saveSession(undefined);
    setApiSession(undefined);
    localStorage.removeItem(PRINCIPAL_KEY);
    clearCache();
    setAuth({ kind: 'signedOut', ...(message ? { message } : {}) });
  };

  const start = async (session: Session | undefined) => {
    configureApi(config, session, () => signOut(t('sessionExpired')));
    if (!session) {
      setAuth({ kind: 'signedOut' });
      return;
    }
    try {
      const principal = await api.me();
      localStorage.setItem(PRINCIPAL_KEY, JSON.stringify(principal));
      setAuth({ kind: 'signedIn', principal });
      outbox.resume(principal.username);
    } catch (error) {
      // Offline with a live session: carry on as the person we knew, so a claim can be filled in.
      const cached = cachedPrincipal();
      if (error instanceof NetworkError && cached) {
        setAuth({ kind: 'signedIn', principal: cached });
        outbox.resume(cached.username);
      } else if (!(error instanceof ApiError && error.status === 401)) {
        setAuth({ kind: 'failed', error });
      }
    }
  };

  useEffect(() => {
    (async () => {
      let session = loadSession();
      if (config.auth === 'cognito') {
        try {
          const fresh = await completeCognitoSignIn(config);
          if (fresh) {
            saveSession(fresh);
            session = fresh;
          }
        } catch (error) {
          setAuth({
            kind: 'signedOut',
            message: t('signInFailed', { message: String((error as Error).message) }),
          });
          return;
        }
      }
      await start(session);
    })();
  }, []);

  // Moves focus to the new page's heading so screen readers announce the page change.
  useEffect(() => {
    document.getElementById('page-title')?.focus({ preventScroll: true });
  }, [route.parts.join('/')]);

  if (auth.kind === 'starting') return <Loading />;
  if (auth.kind === 'failed') return <ErrorBox error={auth.error} onRetry={() => location.reload()} />;
  if (auth.kind === 'signedOut') {
    return (
      <>
        <Header />
        <main id="main">
          <SignIn
            config={config}
            {...(auth.message ? { message: auth.message } : {})}
            onSignedIn={(session) => {
              saveSession(session);
              setApiSession(session);
              if (location.hash) location.hash = '';
              void start(session);
            }}
          />
        </main>
      </>
    );
  }

  const principal = auth.principal;
  const items = nav.filter((item) => hasRole(principal, ...item.roles));
  const current = `/${route.parts[0] ?? ''}`;
  return (
    <AppContext.Provider value={{ config, principal }}>
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          document.getElementById('page-title')?.focus();
        }}
      >
        {t('skipToContent')}
      </a>
      <Header
        principal={principal}
        onSignOut={() => {
          const url = signOutUrl(config);
          signOut();
          if (url) location.assign(url);
        }}
      />
      <nav class="menu" aria-label={t('mainNav')}>
        <ul>
          {items.map((item) => (
            <li key={item.label}>
              <a href={href(item.path)} aria-current={current === item.path ? 'page' : undefined}>
                {t(item.label)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {(!online || !reachable) && (
        <p class="notice warn" role="status">
          {t('offline')}
        </p>
      )}
      <main id="main">{page(route, principal)}</main>
    </AppContext.Provider>
  );
}

function page(route: Route, principal: Principal) {
  const [first, second] = route.parts;
  const allow = (roles: readonly Role[], body: () => JSX.Element) =>
    hasRole(principal, ...roles) ? body() : <p class="notice error">{t('noAccess')}</p>;
  switch (first) {
    case undefined:
      return <Redirect to={homeOf(principal)} />;
    case 'households':
      return allow(['gridWorker'], () => <Households />);
    case 'new':
      return allow(['gridWorker'], () => (
        <NewClaim
          household={route.query.get('household') ?? undefined}
          draftId={route.query.get('draft') ?? undefined}
        />
      ));
    case 'claims':
      return second ? <ClaimPage claimId={second} /> : <ClaimsList query={route.query} />;
    case 'queue':
      return allow(reviewerRoles, () => <ReviewQueue />);
    case 'dashboard':
      return allow([...reviewerRoles, 'admin', 'finance'], () => <Dashboard />);
    case 'ledger':
      return allow(rolesAllowed('list-ledger'), () => <Ledger />);
    case 'fund':
      return allow(rolesAllowed('get-fund'), () => <Fund />);
    case 'roster':
      return allow(['admin'], () => <RosterImport />);
    case 'members':
      return allow(['admin'], () => <MembersImport />);
    case 'bank':
      return allow(['finance', 'admin'], () => <BankImport />);
    case 'feeds':
      return allow(['admin', 'insurer'], () => <FeedImport />);
    case 'warnings':
      return allow(['admin', 'insurer'], () => <Warnings />);
    case 'policy':
      return <PolicyPage />;
    case 'notice':
      return allow(rolesAllowed('list-notices'), () => <NoticeBoard query={route.query} />);
    default:
      return <p class="notice error">{t('notFound')}</p>;
  }
}

function Header({ principal, onSignOut }: { principal?: Principal; onSignOut?: () => void }) {
  const other = getLang() === 'zh' ? 'en' : 'zh';
  return (
    <header class="top">
      <a class="brand" href="#/">
        {t('appName')}
      </a>
      <div class="who">
        {principal && (
          <span class="user">
            {principal.username}
            <span class="muted"> · {principal.roles.map((r) => tCode('role', r)).join('、')}</span>
          </span>
        )}
        <button
          type="button"
          class="link"
          lang={other === 'en' ? 'en' : 'zh-CN'}
          title={t('languageLabel')}
          onClick={() => void setLang(other)}
        >
          {t('language')}
        </button>
        {principal && onSignOut && (
          <button type="button" class="link" onClick={onSignOut}>
            {t('signOut')}
          </button>
        )}
      </div>
    </header>
  );
}

function Redirect({ to }: { to: string }) {
  useEffect(() => location.replace(href(to)), [to]);
  return <Loading />;
}
