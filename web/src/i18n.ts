// The current language and the words for it. zh-CN unless the person chose English; the
// choice is kept in localStorage so it survives a reload on a shared phone. The English table
// is loaded on demand.
import type { Labels, Lang } from '#shared/vocabulary.ts';
import {
  actorName,
  apiErrorMessage,
  fillTemplate,
  formatParams,
  isMessageCode,
  type Message,
  type RenderOptions,
} from '#shared/messages/render.ts';
import { zh, type MessageKey } from './messages.ts';

export type { Lang };
const STORAGE_KEY = 'claims.lang';
const tables: Partial<Record<Lang, Record<MessageKey, string>>> = { zh };

/** Makes sure the words for `lang` are here (English is a separate chunk). */
export async function loadLang(lang: Lang): Promise<void> {
  if (!tables[lang]) tables.en = (await import('./messages-en.ts')).en;
}

function storedLang(): Lang {
  try {
    return localStorage.getItem(STORAGE_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

let current: Lang = storedLang();
const listeners = new Set<(lang: Lang) => void>();

export function getLang(): Lang {
  return current;
}

export async function setLang(lang: Lang): Promise<void> {
  await loadLang(lang);
  current = lang;
  try {
    localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  for (const listener of listeners) listener(lang);
}

export function onLangChange(listener: (lang: Lang) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export type Params = Record<string, string | number>;

/** The message for `key` with `{name}` placeholders filled in. */
export function t(key: MessageKey, params: Params = {}): string {
  const text = (tables[current] ?? zh)[key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

/** For keys built from data (states, reasons, categories): falls back to the raw code. */
export function tCode(prefix: string, code: string | null | undefined, params: Params = {}): string {
  if (code === null || code === undefined) return '—';
  const key = `${prefix}.${code}`;
  return key in zh ? t(key as MessageKey, params) : code;
}

/**
 * A message the API sent as a code with parameters (a claim's note, a history line, a roster
 * row's problem), in the current language from the shared catalog; an unknown code as itself.
 */
export function messageText(message: Message, options: RenderOptions = {}): string {
  if (!isMessageCode(message.code)) return message.code;
  return fillTemplate(t(message.code), formatParams(message.params, current, options));
}

/** The words for an API error (apiErrorMessage) in the current language. */
export function apiErrorText(code: string, params: Readonly<Record<string, string | number>> = {}): string {
  return messageText(apiErrorMessage(code, params));
}

/**
 * A claim's note or a history line's: a code in the current language. Notes stored as English
 * text before notes were codes are shown in the English app only (no English reaches a zh page).
 */
export function noteText(
  note: string | Message | undefined,
  options: RenderOptions = {},
): string | undefined {
  if (note === undefined) return undefined;
  if (typeof note === 'string') return current === 'en' ? note : undefined;
  return messageText(note, options);
}

/** Who did something: the workflow is 系统 / System, a person their username. */
export function actorText(actor: string): string {
  return actorName(actor, current);
}

/** A name given as data in both languages (a policy's name, a gate's label). */
export function pick(labels: Labels): string {
  return labels[current];
}

export function isMessageKey(key: string): key is MessageKey {
  return key in zh;
}
