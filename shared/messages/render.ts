// The one catalog for what the system tells people: a message is a code with parameters, never a
// sentence, and is put into words only at the edge (the web app, the CLI, a file a person opens)
// in the reader's language. Free of zod so the browser bundle can import it.
import { formatFen } from '#shared/money.ts';
import { chinaDateTime } from '#shared/dates.ts';
import {
  categoryLabels,
  claimStateLabels,
  claimStates,
  householdStatusLabels,
  isOneOf,
  categories,
  householdStatuses,
  memberRelationLabels,
  memberRelations,
  type Lang,
} from '#shared/vocabulary.ts';
import { zhMessages, type MessageCode } from '#shared/messages/zh.ts';
import { enMessages } from '#shared/messages/en.ts';

export { zhMessages, enMessages, type MessageCode };

export type MessageParams = Readonly<Record<string, string | number>>;

/** What the API sends in place of a sentence. */
export interface Message {
  readonly code: string;
  readonly params: MessageParams;
}

export const messageTables: Readonly<Record<Lang, Readonly<Record<MessageCode, string>>>> = {
  zh: zhMessages,
  en: enMessages,
};

/** The workflow's own name in history lines (stored as this code, shown as 系统 / System). */
export const SYSTEM_ACTOR = 'system';

export function isMessageCode(code: string): code is MessageCode {
  return code in zhMessages;
}

export interface RenderOptions {
  /** A review gate's name (policy data); the gate id itself when not given. */
  readonly gateLabel?: (gate: string) => string;
}

/**
 * Parameters written for people: amounts (`…Fen`) as money, a category, a roster status, a roster
 * column (`field`, `fields`) and a gate by their names; the status codes a file may hold
 * (`allowed`) as codes, with their words in Chinese.
 */
export function formatParams(params: MessageParams, lang: Lang, options: RenderOptions = {}) {
  const table = messageTables[lang];
  const fieldName = (f: string) => {
    const key = `field.${f}`;
    return isMessageCode(key) ? table[key] : f;
  };
  const list = lang === 'zh' ? '、' : ', ';
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (name.endsWith('Fen') && typeof value === 'number') out[name] = formatFen(value);
    else if (name === 'category' && isOneOf(categories, value)) out[name] = categoryLabels[value][lang];
    else if (name === 'state' && isOneOf(claimStates, value)) out[name] = claimStateLabels[value][lang];
    else if (name === 'status' && isOneOf(householdStatuses, value))
      out[name] = householdStatusLabels[value][lang];
    // The codes a file must hold; in Chinese each with its word, as the file cannot say 脱贫户.
    else if (name === 'allowed')
      out[name] = String(value)
        .split(',')
        .map((s) =>
          lang === 'zh' && isOneOf(householdStatuses, s)
            ? `${householdStatusLabels[s].zh}（${s}）`
            : lang === 'zh' && isOneOf(memberRelations, s)
              ? `${memberRelationLabels[s].zh}（${s}）`
              : s,
        )
        .join(list);
    else if (name === 'field') out[name] = fieldName(String(value));
    else if (name === 'fields') out[name] = String(value).split(',').map(fieldName).join(list);
    else if (name === 'gate') out[name] = options.gateLabel?.(String(value)) ?? String(value);
    // Instants (`…At`) in China time, as every page and export shows them.
    else if (name.endsWith('At') && typeof value === 'string') out[name] = chinaDateTime(value).slice(0, 16);
    else out[name] = String(value);
  }
  return out;
}

/** `{name}` placeholders filled in; one with no value stays as it is. */
export function fillTemplate(template: string, params: Readonly<Record<string, string | number>>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params ? String(params[name]) : whole,
  );
}

/** A message in `lang`; an unknown code shows as itself, never as someone else's sentence. */
export function renderMessage(message: Message, lang: Lang, options: RenderOptions = {}): string {
  if (!isMessageCode(message.code)) return message.code;
  return fillTemplate(messageTables[lang][message.code], formatParams(message.params, lang, options));
}

/** Several messages about one thing (the problems of one roster row), as one line. */
export function renderMessages(messages: readonly Message[], lang: Lang, options: RenderOptions = {}) {
  return messages.map((m) => renderMessage(m, lang, options)).join(lang === 'zh' ? '；' : '; ');
}

/** Who did something, for people: the workflow is 系统 / System; a username is itself. */
export function actorName(actor: string, lang: Lang): string {
  return actor === SYSTEM_ACTOR ? messageTables[lang]['actor.system'] : actor;
}

/**
 * The message an API error reads as: its code's text, or the generic one naming the code. An
 * error whose `problem` names a field's problem (which rule an amount broke) reads as that.
 */
export function apiErrorMessage(code: string, params: MessageParams): Message {
  const problem = params.problem;
  if (typeof problem === 'string' && !problem.includes('.') && isMessageCode(problem))
    return { code: problem, params };
  const key = `error.${code}`;
  return isMessageCode(key) ? { code: key, params } : { code: 'error.generic', params: { code } };
}

/** An API error's words in `lang` (apiErrorMessage). */
export function renderApiError(code: string, params: MessageParams, lang: Lang): string {
  return renderMessage(apiErrorMessage(code, params), lang);
}

/**
 * A claim's note (说明) or a history line's: a message. Plain text only on records written before
 * notes were codes; readers keep it as it is (the web app shows it in English only).
 */
export type Note = Message | string;
