// The HTTP edge alone turns a domain error into a status; code and params make the body.
import { describe, expect, it } from 'vitest';
import { httpErrorOf } from '#functions/http-errors.ts';
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
    expect(httpErrorOf(error)).toEqual({ status, code: error.code, message: error.message });
  });

  it('params become the extra fields of the body; the cause stays out', () => {
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
      extra: { claimId: 'c1', batchRef: 'B-1', disbursed: [] },
    });
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
