// The receipts bucket on s3rver, persisted under <dataDir>/s3, plus what s3rver leaves out and the
// product relies on: S3's POST policy checks for presigned uploads, aws-chunked request bodies
// (AWS SDK v3 sends streams that way) and EventBridge "Object Created" events.
//
// The pieces, each saying what AWS behaviour it reproduces and what it leaves out, live in
// ./s3-local/: server.ts (routing, signatures, overwrite guard), post-policy.ts, payload.ts
// (x-amz-content-sha256, aws-chunked), events.ts, s3rver-app.ts and responses.ts.
export {
  defaultCorsOrigins,
  isManifestKey,
  s3LocalCredentials,
  type S3Local,
  type S3LocalOptions,
  type S3ObjectCreatedEvent,
} from '#cli/local/s3-local/model.ts';
export { AwsChunkedDecoder, isAwsChunked } from '#cli/local/s3-local/payload.ts';
export { BoundaryScanner, locateFormParts, verifyPostPolicy } from '#cli/local/s3-local/post-policy.ts';
export { startS3Local } from '#cli/local/s3-local/server.ts';
