// Sign-in: the demo users locally, the hosted UI when deployed.
import { useState } from 'preact/hooks';
import { cognitoSignIn, localSignIn, SignInError, type Session } from '../auth.ts';
import type { AppConfig } from '../config.ts';
import { apiErrorText, t } from '../i18n.ts';
import { errorMessage, Page } from '../components.tsx';

export function SignIn({
  config,
  message,
  onSignedIn,
}: {
  config: AppConfig;
  message?: string;
  onSignedIn: (session: Session) => void;
}) {
  const [username, setUsername] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(message);

  if (config.auth === 'cognito') {
    return (
      <Page title={t('signInTitle')}>
        {error && (
          <p class="notice error" role="alert">
            {error}
          </p>
        )}
        <button type="button" class="primary" onClick={() => void cognitoSignIn(config)}>
          {t('signInCognito')}
        </button>
      </Page>
    );
  }

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!username.trim()) return;
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await localSignIn(config, username));
    } catch (err) {
      setError(
        t('signInFailed', {
          message: err instanceof SignInError ? apiErrorText(err.code) : errorMessage(err),
        }),
      );
      setBusy(false);
    }
  };

  return (
    <Page title={t('signInTitle')}>
      <form class="card narrow" onSubmit={submit}>
        {error && (
          <p class="notice error" role="alert">
            {error}
          </p>
        )}
        <label for="username">{t('username')}</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck={false}
          list="demo-users"
          required
          value={username}
          onInput={(e) => setUsername(e.currentTarget.value)}
          aria-describedby={config.demoUsers.length > 0 ? 'username-hint' : undefined}
        />
        <datalist id="demo-users">
          {config.demoUsers.map((u) => (
            <option key={u} value={u} />
          ))}
        </datalist>
        {config.demoUsers.length > 0 && (
          <p id="username-hint" class="hint">
            {t('signInHint')}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? t('signingIn') : t('signIn')}
        </button>
      </form>
    </Page>
  );
}
