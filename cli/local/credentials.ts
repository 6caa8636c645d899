// The one access key the local stack accepts, for the S3 emulator and DynamoDB Local alike: every
// request must be SigV4-signed with it (see sigv4.ts). It is s3rver's built-in account, as the
// README documents it, so the AWS CLI and SDKs work with `AWS_ACCESS_KEY_ID=S3RVER
// AWS_SECRET_ACCESS_KEY=S3RVER`. It guards against strangers and forged requests, not against
// anyone who has read the README: the stand-ins also listen on 127.0.0.1 only.

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

// Not frozen: SDK clients annotate the credentials object they are given.
export const localCredentials: LocalCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
