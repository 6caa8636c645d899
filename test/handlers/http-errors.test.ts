// The HTTP edge alone turns a domain error into a status; code and params make the body.
import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errorBody, httpErrorOf, invalidRequestOf } from '#functions/http-errors.ts';
import { isMessageCode } from '#shared/messages/render.ts';

const root = new URL('../../', import.meta.url).pathname;
function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(root, dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(join(dir, entry.name));
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}
import {
  ClaimBusyError,
  ForbiddenError,
  InvalidInputError,
  InvariantError,
  NotFoundError,
  StateConflictError,
  TransitionRefusedError,
} from '#shared/errors.ts';
import { ConflictError } from '#shared/ports.ts';

describe('httpErrorOf', () => {
  it.each([
    [new InvalidInputError('BAD_CLAIM_ID', 'bad'), 400],
    [new ForbiddenError('NOT_INDEPENDENT', 'no'), 403],
    [new NotFoundError('NOT_FOUND', 'no such claim'), 404],
    [new StateConflictError('CLAIM_EXISTS', 'exists'), 409],
    [new ClaimBusyError('BUSY', 'busy'), 409],
    [new TransitionRefusedError('TRANSITION_REFUSED', 'refused'), 409],
    [new InvariantError('TOTAL_OVERFLOW', 'overflow'), 500],
  ])('%s is %i', (error, status) => {
    expect(httpErrorOf(error)).toEqual({ status, code: error.code, message: error.message, params: {} });
  });

  it('params travel as params (strings and numbers) and as extra fields of the body; the cause stays out', () => {
    const cause = new RangeError('bad cursor');
    const error = new StateConflictError('DISBURSED_ELSEWHERE', 'already disbursed in batch B-1', {
      params: { claimId: 'c1', batchRef: 'B-1', disbursed: [] },
      cause,
    });
    expect(error.cause).toBe(cause);
    expect(httpErrorOf(error)).toEqual({
      status: 409,
      code: 'DISBURSED_ELSEWHERE',
      message: 'already disbursed in batch B-1',
      params: { claimId: 'c1', batchRef: 'B-1' },
      extra: { claimId: 'c1', batchRef: 'B-1', disbursed: [] },
    });
  });

  it('every body has a code and params, and a bad request names its fields, never the values', () => {
    const invalid = invalidRequestOf([
      { path: 'totalCost', message: 'amount is negative' },
      { path: '', message: 'unknown key' },
    ]);
    expect(invalid).toMatchObject({
      status: 400,
      code: 'INVALID_REQUEST',
      params: { fields: 'totalCost,body' },
    });
    expect(errorBody(invalid).error).toMatchObject({
      code: 'INVALID_REQUEST',
      params: { fields: 'totalCost,body' },
    });
    const refused = httpErrorOf(
      new ForbiddenError('NOT_YOUR_HOUSEHOLD', 'no', { params: { householdId: 'HH-1' } }),
    );
    expect(refused && errorBody(refused).error).toEqual({
      code: 'NOT_YOUR_HOUSEHOLD',
      message: 'no',
      params: { householdId: 'HH-1' },
      householdId: 'HH-1',
    });
  });

  it('the catalog has words for every code the API answers with', () => {
    const source = ['shared', 'functions']
      .flatMap((dir) => sourceFiles(dir))
      .map((f) => readFileSync(f, 'utf8'));
    const codes = new Set(
      source.flatMap((text) =>
        [...text.matchAll(/(?:Error|errorReply)\(\s*(?:\d+,\s*)?'([A-Z][A-Z_]+)'/g)].map((m) => m[1] ?? ''),
      ),
    );
    expect(codes.size).toBeGreaterThan(10);
    // Codes only ever logged or turned into a claim's ERROR (never answered) need no words.
    const internal = ['NO_FACTS', 'NO_ASSESSMENT', 'TOTAL_OVERFLOW'];
    const missing = [...codes].filter((c) => !internal.includes(c) && !isMessageCode(`error.${c}`));
    expect(missing).toEqual([]);
  });

  it('anything else is not explained to the caller', () => {
    expect(httpErrorOf(new Error('secret'))).toBeUndefined();
    expect(httpErrorOf(new ConflictError())).toBeUndefined();
    expect(httpErrorOf('oops')).toBeUndefined();
  });

  it('error names survive bundling: each class says its own', () => {
    expect(new NotFoundError('X', 'x').name).toBe('NotFoundError');
    expect(new ClaimBusyError('X', 'x').name).toBe('ClaimBusyError');
    expect(new ClaimBusyError('X', 'x')).toBeInstanceOf(StateConflictError);
  });
});
