// A new claim, built for a phone in a village: one column, big targets, numeric keypad for
// amounts, the camera one tap away, a live quote, and nothing lost if the tab dies (the form
// is saved on the device as it is filled in, and the upload survives a lost signal).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { chinaDate, daysBetween, isIsoDate } from '#shared/dates.ts';
import { api } from '../api.ts';
import { canonicalYuan, readAmount } from '../amounts.ts';
import { useApp } from '../context.ts';
import { formatBytes, formatDate } from '../format.ts';
import { t, tCode } from '../i18n.ts';
import { MAX_RECEIPTS, prepareReceipt, ReceiptError } from '../image.ts';
import { cached } from '../offline-cache.ts';
import * as outbox from '../outbox.ts';
import type { Draft, DraftReceipt } from '../outbox.ts';
import { policyInForce } from '../policy-in-force.ts';
import { categories, type Category, type Household } from '../types.ts';
import { useAsync } from '../use-async.ts';
import { ErrorBox, Loading, Page } from '../components.tsx';
import { QuotePanel, QuoteSummary, type QuotePanelProps } from './quote-panel.tsx';
import { DraftList } from './draft-list.tsx';

interface FormState {
  householdId: string;
  category: Category;
  expenseDate: string;
  totalCost: string;
  reimbursed: string;
}

type FieldErrors = Partial<Record<keyof FormState | 'receipts', string>>;

function householdLabel(h: Household): string {
  return `${h.householdId} ${h.headName}（${h.village}）`;
}

export function NewClaim({ household, draftId }: { household?: string; draftId?: string }) {
  const { principal } = useApp();
  const username = principal.username;
  const today = chinaDate(new Date());
  const households = useAsync(() => cached(`households.${username}`, api.households), [username]);
  const policies = useAsync(() => cached('policies', async () => (await api.policies()).items), []);

  const [loaded, setLoaded] = useState(false);
  const [id, setId] = useState(() => outbox.newDraftId());
  const [createdAt, setCreatedAt] = useState(() => new Date().toISOString());
  const [form, setForm] = useState<FormState>({
    householdId: household ?? '',
    category: 'education',
    expenseDate: today,
    totalCost: '',
    reimbursed: '',
  });
  const [receipts, setReceipts] = useState<DraftReceipt[]>([]);
  const [compressing, setCompressing] = useState(0);
  const [receiptError, setReceiptError] = useState<string | undefined>();
  const [showErrors, setShowErrors] = useState(false);
  const [queued, setQueued] = useState<string | undefined>();
  const [capUsed, setCapUsed] = useState<
    { key: string; fen: number | undefined; countedFen?: number | undefined } | undefined
  >();
  const formRef = useRef<HTMLFormElement>(null);
  const receiptCount = useRef(0);
  // Set on submit so a pending autosave cannot put the queued claim back to "editing".
  const submitting = useRef(false);
  receiptCount.current = receipts.length;

  // Restore the claim being filled in (after a reload, or "edit" on a refused claim).
  useEffect(() => {
    let live = true;
    (async () => {
      const drafts = await outbox.listDrafts(username).catch(() => []);
      const found = draftId
        ? drafts.find((d) => d.id === draftId)
        : drafts.filter((d) => d.stage === 'editing').pop();
      if (live && found) {
        setId(found.id);
        setCreatedAt(found.createdAt);
        setForm({ ...found.form, householdId: household ?? found.form.householdId });
        setReceipts(found.receipts);
      }
      if (live) setLoaded(true);
    })();
    return () => {
      live = false;
    };
  }, [username, draftId]);

  // Save as people type: a cheap phone may kill the tab while the camera is open.
  useEffect(() => {
    if (!loaded || queued) return;
    if (!form.totalCost && receipts.length === 0) return;
    const timer = setTimeout(() => {
      if (submitting.current) return;
      const draft: Draft = {
        id,
        username,
        createdAt,
        stage: 'editing',
        form,
        receipts,
        uploaded: [],
        manifestTried: [],
      };
      void outbox.saveDraft(draft).catch(() => {});
    }, 400);
    return () => clearTimeout(timer);
  }, [loaded, queued, form, receipts]);

  const items = households.data?.items ?? [];
  const selected = items.find((h) => h.householdId === form.householdId);
  const region = selected?.region ?? items[0]?.region ?? 'demo';
  const dateOk = isIsoDate(form.expenseDate);
  const policy = policies.data && dateOk ? policyInForce(policies.data, region, form.expenseDate) : undefined;
  const total = readAmount(form.totalCost);
  const reimbursed = readAmount(form.reimbursed, true);

  // What this household already received this year in this category, for the cap left.
  const capKey = `${form.householdId}|${form.category}|${form.expenseDate.slice(0, 4)}|${region}`;
  useEffect(() => {
    if (!form.householdId || !dateOk) return;
    let live = true;
    api
      .quote({
        region,
        category: form.category,
        totalCost: '0',
        householdId: form.householdId,
        expenseDate: form.expenseDate,
      })
      .then(
        (q) => live && setCapUsed({ key: capKey, fen: q.capUsedFen, countedFen: q.countedBeforeFen }),
        () => live && setCapUsed({ key: capKey, fen: undefined }),
      );
    return () => {
      live = false;
    };
  }, [capKey]);

  const previews = useMemo(
    () =>
      receipts.map((r) =>
        r.contentType === 'application/pdf'
          ? undefined
          : URL.createObjectURL(new Blob([r.bytes], { type: r.contentType })),
      ),
    [receipts],
  );
  useEffect(() => () => previews.forEach((u) => u && URL.revokeObjectURL(u)), [previews]);

  const errors: FieldErrors = {};
  if (!form.householdId) errors.householdId = t('claim.needHousehold');
  if (!dateOk) errors.expenseDate = t('claim.dateInvalid');
  else if (form.expenseDate > today) errors.expenseDate = t('claim.dateFuture');
  if (!total.ok) errors.totalCost = t('claim.badAmount');
  if (!reimbursed.ok) errors.reimbursed = t('claim.badAmount');
  else if (total.ok && reimbursed.fen > total.fen) errors.reimbursed = t('claim.reimbursedTooMuch');
  if (receipts.length === 0) errors.receipts = t('claim.needReceipt');
  const lateDays = policy?.filingDeadlineDays ?? 180;
  const late = dateOk && form.expenseDate <= today && daysBetween(form.expenseDate, today) > lateDays;

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) =>
    setForm((f) => ({ ...f, [key]: value }));

  const addFiles = async (input: HTMLInputElement) => {
    const files = [...(input.files ?? [])];
    input.value = ''; // lets the same photo be picked again after a removal
    setReceiptError(undefined);
    // One at a time: a cheap phone cannot hold several decoded 12-megapixel photos at once.
    for (const file of files) {
      if (receiptCount.current >= MAX_RECEIPTS) {
        setReceiptError(t('claim.tooMany', { n: MAX_RECEIPTS }));
        break;
      }
      setCompressing((n) => n + 1);
      try {
        const prepared = await prepareReceipt(file);
        setReceipts((rs) => (rs.some((r) => r.sha256 === prepared.sha256) ? rs : [...rs, prepared]));
        receiptCount.current += 1;
      } catch (error) {
        setReceiptError(
          error instanceof ReceiptError && error.kind === 'tooLarge'
            ? t('claim.tooLarge')
            : t('claim.badImage'),
        );
      } finally {
        setCompressing((n) => n - 1);
      }
    }
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (Object.keys(errors).length > 0 || !total.ok || !reimbursed.ok) {
      setShowErrors(true);
      // Focus the first field that needs fixing, so keyboard and screen-reader users land on it.
      requestAnimationFrame(() =>
        formRef.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus(),
      );
      return;
    }
    const draft: Draft = {
      id,
      username,
      createdAt,
      stage: 'queued',
      form: {
        householdId: form.householdId,
        category: form.category,
        expenseDate: form.expenseDate,
        totalCost: canonicalYuan(total.fen),
        reimbursed: canonicalYuan(reimbursed.fen),
      },
      receipts,
      uploaded: [],
      manifestTried: [],
    };
    submitting.current = true;
    await outbox.submitDraft(draft);
    setQueued(draft.id);
  };

  if (queued) {
    return (
      <Page title={t('claim.new.title')}>
        <DraftList username={username} only={queued} followToClaim />
        <p class="actions">
          <button
            type="button"
            class="secondary"
            onClick={() => {
              setQueued(undefined);
              submitting.current = false;
              setId(outbox.newDraftId());
              setCreatedAt(new Date().toISOString());
              setForm((f) => ({ ...f, totalCost: '', reimbursed: '' }));
              setReceipts([]);
              setShowErrors(false);
            }}
          >
            {t('claim.newAnother')}
          </button>
          <a class="button secondary" href="#/claims">
            {t('claim.viewClaims')}
          </a>
        </p>
      </Page>
    );
  }

  const invalid = (field: keyof FieldErrors) => (showErrors && errors[field] ? true : undefined);
  const errorText = (field: keyof FieldErrors) =>
    showErrors && errors[field] ? (
      <p id={`${field}-error`} class="field-error">
        {errors[field]}
      </p>
    ) : null;
  const describedBy = (field: keyof FieldErrors, hint?: string) =>
    [hint, showErrors && errors[field] ? `${field}-error` : undefined].filter(Boolean).join(' ') || undefined;

  const quoteProps: QuotePanelProps = {
    policy,
    category: form.category,
    totalFen: total.ok ? total.fen : undefined,
    reimbursedFen: reimbursed.ok ? reimbursed.fen : undefined,
    // Until the household's cap use is known, price as unused; undefined only when it cannot be checked.
    capUsedFen: capUsed?.key === capKey ? capUsed.fen : 0,
    countedFen: capUsed?.key === capKey ? capUsed.countedFen : undefined,
  };

  return (
    <Page title={t('claim.new.title')}>
      {households.error !== undefined && <ErrorBox error={households.error} onRetry={households.reload} />}
      {policies.error !== undefined && <ErrorBox error={policies.error} onRetry={policies.reload} />}
      {(!loaded || households.loading) && !households.data && <Loading />}
      <div class="two-col">
        <form ref={formRef} class="card claim-form" onSubmit={submit} noValidate>
          <label for="householdId">{t('claim.household')}</label>
          <select
            id="householdId"
            // Remount when the options arrive: a <select> cannot hold a value it has no option for.
            key={items.length}
            value={form.householdId}
            aria-invalid={invalid('householdId')}
            aria-describedby={describedBy('householdId')}
            onChange={(e) => set('householdId', e.currentTarget.value)}
          >
            <option value="">{t('claim.chooseHousehold')}</option>
            {items.map((h) => (
              <option
                key={h.householdId}
                value={h.householdId}
                disabled={!h.status || h.status === 'removed'}
              >
                {householdLabel(h)} · {tCode('status', h.status ?? 'none')}
              </option>
            ))}
          </select>
          {errorText('householdId')}

          <fieldset class="choices">
            <legend>{t('claim.category')}</legend>
            {categories.map((c) => (
              <label key={c} class="choice">
                <input
                  type="radio"
                  name="category"
                  value={c}
                  checked={form.category === c}
                  onChange={() => set('category', c)}
                />
                {tCode('category', c)}
              </label>
            ))}
          </fieldset>

          <label for="expenseDate">{t('claim.expenseDate')}</label>
          <input
            id="expenseDate"
            type="date"
            max={today}
            value={form.expenseDate}
            aria-invalid={invalid('expenseDate')}
            aria-describedby={describedBy('expenseDate', 'expenseDate-shown')}
            onInput={(e) => set('expenseDate', e.currentTarget.value)}
          />
          <p id="expenseDate-shown" class="hint">
            {dateOk ? formatDate(form.expenseDate) : ''}
            {late && ` · ${t('claim.dateLate', { days: lateDays })}`}
          </p>
          {errorText('expenseDate')}

          {/* The payout stays in sight while amounts are typed (sticky on a phone). */}
          <QuoteSummary {...quoteProps} />
          <label for="totalCost">{t('claim.totalCost')}</label>
          <input
            id="totalCost"
            inputMode="decimal"
            autocomplete="off"
            placeholder="22700"
            value={form.totalCost}
            aria-invalid={invalid('totalCost')}
            aria-describedby={describedBy('totalCost', 'amount-hint')}
            onInput={(e) => set('totalCost', e.currentTarget.value)}
          />
          <p id="amount-hint" class="hint">
            {t('claim.amountHint')}
          </p>
          {errorText('totalCost')}

          <label for="reimbursed">{t('claim.reimbursed')}</label>
          <input
            id="reimbursed"
            inputMode="decimal"
            autocomplete="off"
            placeholder="0"
            value={form.reimbursed}
            aria-invalid={invalid('reimbursed')}
            aria-describedby={describedBy('reimbursed', 'reimbursed-hint')}
            onInput={(e) => set('reimbursed', e.currentTarget.value)}
          />
          <p id="reimbursed-hint" class="hint">
            {t('claim.reimbursedHint')}
          </p>
          {errorText('reimbursed')}

          <fieldset class="receipts" aria-describedby={describedBy('receipts', 'receipt-hint')}>
            <legend>{t('claim.receipts')}</legend>
            <div class="file-buttons">
              <label class="button secondary file">
                <input
                  type="file"
                  accept="image/*"
                  capture="environment"
                  onChange={(e) => void addFiles(e.currentTarget)}
                />
                {t('claim.takePhoto')}
              </label>
              <label class="button secondary file">
                <input
                  type="file"
                  accept="image/jpeg,image/png,application/pdf,image/*"
                  multiple
                  onChange={(e) => void addFiles(e.currentTarget)}
                />
                {t('claim.chooseFile')}
              </label>
            </div>
            <p id="receipt-hint" class="hint">
              {t('claim.receiptHint')}
            </p>
            {compressing > 0 && (
              <p role="status" class="muted">
                {t('claim.compressing')}
              </p>
            )}
            {receiptError && (
              <p class="field-error" role="alert">
                {receiptError}
              </p>
            )}
            {errorText('receipts')}
            <ul class="thumbs">
              {receipts.map((r, i) => (
                <li key={r.sha256} class="thumb">
                  {previews[i] ? (
                    <img src={previews[i]} alt={t('claim.receiptAlt', { n: i + 1 })} />
                  ) : (
                    <span class="pdf">{t('claim.pdf')}</span>
                  )}
                  <span class="size" data-testid="receipt-size">
                    {t('claim.compressed', {
                      from: formatBytes(r.originalSize),
                      to: formatBytes(r.bytes.byteLength),
                    })}
                  </span>
                  <button
                    type="button"
                    class="link"
                    aria-label={t('claim.removeReceipt', { n: i + 1 })}
                    onClick={() => setReceipts((rs) => rs.filter((x) => x.sha256 !== r.sha256))}
                  >
                    {t('remove')}
                  </button>
                </li>
              ))}
            </ul>
          </fieldset>

          <button type="submit" class="primary wide" disabled={compressing > 0}>
            {t('claim.submit')}
          </button>
        </form>
        <QuotePanel {...quoteProps} />
      </div>
    </Page>
  );
}
