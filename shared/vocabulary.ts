// The domain's words, once: every code the system stores or sends, and what people read for it
// in Chinese (the default) and English. Schemas elsewhere are built from these lists
// (z.enum(categories)); the web app and the CLI take their lists and labels from here. Kept free
// of zod so the browser bundle can import it. Review gates are not here: they are policy data.

export type Lang = 'zh' | 'en';
export interface Labels {
  readonly zh: string;
  readonly en: string;
}

/** Expense categories (因学 / 因病 / 因灾 / 因产业受损). */
export const categories = ['education', 'medical', 'disaster', 'industry'] as const;
export type Category = (typeof categories)[number];

export const categoryLabels: Readonly<Record<Category, Labels>> = {
  education: { zh: '因学', en: 'Education' },
  medical: { zh: '因病', en: 'Medical' },
  disaster: { zh: '因灾', en: 'Disaster' },
  industry: { zh: '因产业受损', en: 'Industry loss' },
};

/** Where a claim is in its lifecycle, in the order a claim usually moves through them. */
export const claimStates = [
  'RECEIVED',
  'PENDING_REVIEW',
  'APPEALED',
  'APPROVED',
  'NOTICE',
  'AWAITING_FUNDS',
  'PAID',
  'DISBURSED',
  'DISBURSEMENT_FAILED',
  'REJECTED',
  'ERROR',
] as const;
export type ClaimState = (typeof claimStates)[number];

export const claimStateLabels: Readonly<Record<ClaimState, Labels>> = {
  RECEIVED: { zh: '已收到，正在核算', en: 'Received, being assessed' },
  PENDING_REVIEW: { zh: '三关审核中', en: 'In three-gate review' },
  APPEALED: { zh: '复核中', en: 'Appeal under review' },
  APPROVED: { zh: '已批准，等待入账', en: 'Approved, payout being recorded' },
  NOTICE: { zh: '公示中', en: 'On public notice' },
  AWAITING_FUNDS: { zh: '待资金', en: 'Awaiting funds' },
  PAID: { zh: '已赔付，等待拨付', en: 'Paid, awaiting transfer' },
  DISBURSED: { zh: '已拨付到账', en: 'Transferred to the household' },
  DISBURSEMENT_FAILED: { zh: '拨付失败', en: 'Transfer failed' },
  REJECTED: { zh: '未通过', en: 'Not accepted' },
  ERROR: { zh: '处理出错，工作人员正在处理', en: 'A fault; staff are looking at it' },
};

export const roles = ['gridWorker', 'villageVerifier', 'insurer', 'auditor', 'finance', 'admin'] as const;
export type Role = (typeof roles)[number];

export const roleLabels: Readonly<Record<Role, Labels>> = {
  gridWorker: { zh: '网格员', en: 'Grid worker' },
  villageVerifier: { zh: '村级核实员', en: 'Village verifier' },
  insurer: { zh: '保险公司理赔员', en: 'Insurer' },
  auditor: { zh: '稽核员', en: 'Auditor' },
  finance: { zh: '财务', en: 'Finance' },
  admin: { zh: '管理员', en: 'Admin' },
};

/** Why a claim was rejected. */
export const rejectionReasons = [
  'INVALID_MANIFEST',
  'INVALID_RECEIPT',
  'NOT_ON_ROSTER',
  'NOT_COVERED',
  'OUTSIDE_POLICY_PERIOD',
  'FILED_TOO_LATE',
  'EXPENSE_IN_FUTURE',
  'BELOW_THRESHOLD',
  'DUPLICATE_RECEIPT',
  'CAP_EXHAUSTED',
  'REVIEW_REJECTED',
  'APPEAL_REJECTED',
  'RECORD_CORRECTED',
] as const;
export type RejectionReason = (typeof rejectionReasons)[number];

export const rejectionReasonLabels: Readonly<Record<RejectionReason, Labels>> = {
  INVALID_MANIFEST: { zh: '申请资料不完整或格式有误', en: 'The claim data was incomplete or malformed' },
  INVALID_RECEIPT: {
    zh: '票据无法识别，或与上传时的不一致',
    en: 'A receipt could not be read or did not match what was sent',
  },
  NOT_ON_ROSTER: {
    zh: '费用发生时该户不在监测名单上',
    en: 'The household was not on the roster on the expense date',
  },
  NOT_COVERED: {
    zh: '该户状态或费用类别不在保障范围内',
    en: "The household's status or this category is not covered",
  },
  OUTSIDE_POLICY_PERIOD: {
    zh: '费用发生日不在政策有效期内',
    en: 'The expense date is outside the policy period',
  },
  FILED_TOO_LATE: {
    zh: '超过申报期限（费用发生后180天内申报）',
    en: 'Filed too late (within 180 days of the expense)',
  },
  EXPENSE_IN_FUTURE: { zh: '费用日期晚于今天', en: 'The expense date is after today' },
  BELOW_THRESHOLD: { zh: '自付费用没有达到起付线', en: 'The self-paid cost is below the threshold' },
  DUPLICATE_RECEIPT: {
    zh: '这张票据已经在其他申请中使用过',
    en: 'This receipt was already used in another claim',
  },
  CAP_EXHAUSTED: {
    zh: '该户本年度此类赔付已达封顶',
    en: "The household's annual cap for this category is used up",
  },
  REVIEW_REJECTED: { zh: '审核未通过', en: 'Rejected in review' },
  APPEAL_REJECTED: { zh: '复核未通过', en: 'Rejected on appeal' },
  RECORD_CORRECTED: {
    zh: '部门数据已更正，按更正后的数据重新立案',
    en: 'The department corrected its record; a new claim uses the corrected figures',
  },
};

/**
 * Why a claim goes to review: the reason of each policy route that matched (a route's `reason`)
 * and, for ANOMALY, each anomaly found. Each comes with parameters, named by the labels'
 * placeholders: `limitFen` (an amount in fen, written as money), `category` (a category code,
 * written as its label), `days` (a whole number). POSSIBLE_DUPLICATE's `claimId` and `by` name
 * the other claim, which pages show beside the words rather than in them.
 */
export const reviewRouteReasons = [
  'PAYOUT_ABOVE',
  'CATEGORY_ALWAYS',
  'ANOMALY',
  'DATA_FEED',
  'APPEAL',
  'OBJECTION',
] as const;
export type ReviewRouteReason = (typeof reviewRouteReasons)[number];

export const anomalyCodes = [
  'TOTAL_COST_ABOVE',
  'STATUS_CHANGED_RECENTLY',
  'NOT_REIMBURSED',
  'POSSIBLE_DUPLICATE',
] as const;
export type AnomalyCode = (typeof anomalyCodes)[number];

export const reviewReasonCodes = [...reviewRouteReasons, ...anomalyCodes] as const;
export type ReviewReasonCode = (typeof reviewReasonCodes)[number];

export const reviewReasonLabels: Readonly<Record<ReviewReasonCode, Labels>> = {
  PAYOUT_ABOVE: { zh: '赔付超过 {limitFen}', en: 'Payout above {limitFen}' },
  CATEGORY_ALWAYS: { zh: '{category}申请全部审核', en: 'Every {category} claim is reviewed' },
  ANOMALY: { zh: '数据异常', en: 'Unusual data' },
  DATA_FEED: { zh: '部门数据比对中新发现', en: 'Found in a department data feed' },
  APPEAL: { zh: '复核申请', en: 'Appeal' },
  OBJECTION: { zh: '公示期间有异议', en: 'Objection during the public notice' },
  TOTAL_COST_ABOVE: { zh: '总费用超过 {limitFen}', en: 'Total cost above {limitFen}' },
  STATUS_CHANGED_RECENTLY: {
    zh: '费用发生前 {days} 天内名单状态有变化',
    en: 'Roster status changed within {days} days before the expense',
  },
  NOT_REIMBURSED: {
    zh: '{category}申请没有任何报销或救助记录',
    en: '{category} claim with no reimbursement recorded',
  },
  POSSIBLE_DUPLICATE: {
    zh: '可能与其他申请重复',
    en: 'May repeat another claim',
  },
};

/** Statuses that make a household eligible for cover. */
export const coveredStatuses = ['out_of_poverty', 'unstable', 'marginal', 'sudden_hardship'] as const;
export type CoveredStatus = (typeof coveredStatuses)[number];

/** A household's status on the monitoring roster: a covered one, or no longer monitored. */
export const householdStatuses = [...coveredStatuses, 'removed'] as const;
export type HouseholdStatus = (typeof householdStatuses)[number];

export const householdStatusLabels: Readonly<Record<HouseholdStatus, Labels>> = {
  out_of_poverty: { zh: '脱贫户', en: 'Out of poverty' },
  unstable: { zh: '脱贫不稳定户', en: 'Unstable (may fall back)' },
  marginal: { zh: '边缘易致贫户', en: 'Marginal (close to the line)' },
  sudden_hardship: { zh: '突发严重困难户', en: 'Sudden severe hardship' },
  removed: { zh: '风险已消除（不在保障范围）', en: 'Removed (not covered)' },
};

/** A household member's relation to the head of household (与户主关系). */
export const memberRelations = ['head', 'spouse', 'child', 'parent', 'other'] as const;
export type MemberRelation = (typeof memberRelations)[number];

export const memberRelationLabels: Readonly<Record<MemberRelation, Labels>> = {
  head: { zh: '户主', en: 'Head of household' },
  spouse: { zh: '配偶', en: 'Spouse' },
  child: { zh: '子女', en: 'Child' },
  parent: { zh: '父母', en: 'Parent' },
  other: { zh: '其他', en: 'Other' },
};

/** The finance ledger export's columns, in file order (CSV and XLSX alike). */
export const ledgerColumns = [
  'claimId',
  'paidAt',
  'region',
  'village',
  'householdId',
  'headName',
  'bankAccount',
  'category',
  'payoutYuan',
  'state',
  'policyId',
  'policyVersion',
  'gridWorker',
  'disbursedAt',
  'batchRef',
] as const;
export type LedgerColumn = (typeof ledgerColumns)[number];

/** The export's header row. Times are China time (UTC+8), written without an offset. */
export const ledgerColumnLabels: Readonly<Record<LedgerColumn, Labels>> = {
  claimId: { zh: '理赔编号', en: 'Claim ID' },
  paidAt: { zh: '赔付时间（北京时间）', en: 'Paid at (China time)' },
  region: { zh: '地区', en: 'Region' },
  village: { zh: '村', en: 'Village' },
  householdId: { zh: '农户编号', en: 'Household ID' },
  headName: { zh: '户主姓名', en: 'Head of household' },
  bankAccount: { zh: '银行账号', en: 'Bank account' },
  category: { zh: '类别', en: 'Category' },
  payoutYuan: { zh: '赔付金额（元）', en: 'Payout (yuan)' },
  state: { zh: '状态', en: 'State' },
  policyId: { zh: '政策编号', en: 'Policy ID' },
  policyVersion: { zh: '政策版本', en: 'Policy version' },
  gridWorker: { zh: '网格员', en: 'Grid worker' },
  disbursedAt: { zh: '拨付时间（北京时间）', en: 'Transferred at (China time)' },
  batchRef: { zh: '银行批次号', en: 'Bank batch reference' },
};

/** The XLSX total row's label; `{n}` is the number of payouts. */
export const ledgerTotalLabel: Labels = { zh: '合计（{n} 笔）', en: 'Total ({n} payouts)' };

/** The XLSX sheet's name. */
export const ledgerSheetName: Labels = { zh: '赔付台账', en: 'Payout ledger' };

/** The village notice board's columns (公示表), in order: the web page and the CLI alike. */
export const noticeColumns = ['headName', 'householdId', 'category', 'payoutFen', 'noticeEndsAt'] as const;
export type NoticeColumn = (typeof noticeColumns)[number];

export const noticeColumnLabels: Readonly<Record<NoticeColumn, Labels>> = {
  headName: { zh: '户主', en: 'Head of household' },
  householdId: { zh: '农户编号', en: 'Household ID' },
  category: { zh: '类别', en: 'Category' },
  payoutFen: { zh: '拟赔付金额', en: 'Proposed payout' },
  noticeEndsAt: { zh: '公示截止', en: 'Notice ends' },
};

/** The board's words: its heading (the fund's and the village's names), period, objections. */
export const noticeLabels = {
  title: {
    zh: '{region} {village} 防贫救助公示',
    en: '{region}, {village}: relief payouts on public notice',
  },
  period: { zh: '公示期：{from} 至 {to}', en: 'Notice period: {from} to {to}' },
  objection: {
    zh: '对以上公示内容有异议的，请在公示截止前向本村村级核实员实名反映，核实员将复核后答复。',
    en: 'Anyone who objects to an entry may tell the village verifier, under their own name, before its notice ends; the verifier reviews it and answers.',
  },
  empty: { zh: '本村目前没有公示中的申请', en: 'No claims of this village are on public notice now' },
} as const satisfies Readonly<Record<string, Labels>>;

/** True when `value` is one of `list` (narrows a string read from outside). */
export function isOneOf<const T extends string>(list: readonly T[], value: unknown): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}
