// Entry point: read the deploy-time config, then start the app.
import { render } from 'preact';
import { App } from './app.tsx';
import { loadConfig } from './config.ts';
import { getLang, loadLang, t } from './i18n.ts';
import './styles.css';

const root = document.getElementById('app');
document.documentElement.lang = getLang() === 'zh' ? 'zh-CN' : 'en';

// An English reader waits for the English words rather than flashing Chinese first; if that
// chunk cannot load (offline), the page falls back to Chinese.
Promise.all([loadConfig(), loadLang(getLang()).catch(() => {})]).then(
  ([config]) => {
    if (root) render(<App config={config} />, root);
  },
  (error: unknown) => {
    if (root) {
      // The cause goes to the console: its words are the browser's, not the reader's language.
      console.error(error);
      root.textContent = t('unexpected');
    }
  },
);

// The app shell works offline after the first visit (see public/sw.js). Service workers need a
// secure context: https, or localhost for `claims start`.
if (import.meta.env.PROD && 'serviceWorker' in navigator && window.isSecureContext) {
  window.addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch(() => {
      // Not fatal: the app works online without it.
    });
  });
}
