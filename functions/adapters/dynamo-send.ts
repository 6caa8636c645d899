// One place that tells a DynamoDB fault worth retrying from one that is not.
import { TransientError } from '#shared/ports.ts';

/** Maps the SDK's retryable faults to TransientError so workflows retry them with backoff. */
export async function send<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (
      name === 'ProvisionedThroughputExceededException' ||
      name === 'ThrottlingException' ||
      name === 'RequestLimitExceeded' ||
      name === 'InternalServerError' ||
      name === 'ServiceUnavailable' ||
      name === 'TimeoutError' ||
      (error instanceof Error &&
        'code' in error &&
        (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET'))
    ) {
      throw new TransientError(`DynamoDB: ${name}`);
    }
    throw error;
  }
}
