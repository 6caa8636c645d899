// The emulator's public shapes: options, the running instance, and the EventBridge "Object
// Created" event it delivers (AWS's shape, without version-id: the bucket is unversioned).
import type { EventBridgeEvent, S3ObjectCreatedNotificationEventDetail } from 'aws-lambda';
import { localCredentials, type LocalCredentials } from '#cli/local/credentials.ts';

type ObjectCreatedDetail = Omit<S3ObjectCreatedNotificationEventDetail, 'object'> & {
  object: Omit<S3ObjectCreatedNotificationEventDetail['object'], 'version-id'> & { 'version-id'?: string };
};
/** What EventBridge delivers for an S3 "Object Created" event (no version-id: the bucket is unversioned). */
export type S3ObjectCreatedEvent = EventBridgeEvent<'Object Created', ObjectCreatedDetail>;

export interface S3LocalOptions {
  readonly port: number;
  /** Objects live in <dataDir>/s3/<bucket>; uploads are staged in <dataDir>/s3-staging. */
  readonly dataDir: string;
  readonly bucket: string;
  /** Called (asynchronously, like EventBridge) for created objects whose key passes `matchKey`. */
  readonly onObjectCreated?: (event: S3ObjectCreatedEvent) => void | Promise<void>;
  /** Which keys produce events; default: the EventBridge rule's `claims/<claimId>/manifest.json`. */
  readonly matchKey?: (key: string) => boolean;
  /** Origins the web app is served from, allowed by the bucket's CORS rule. */
  readonly corsOrigins?: readonly string[];
  readonly host?: string;
  readonly region?: string;
  readonly accountId?: string;
  /** Largest browser POST upload accepted (the policy's content-length-range still applies). */
  readonly maxPostBytes?: number;
  /**
   * Asked before any write (PUT, POST form upload, copy destination, CompleteMultipartUpload) to a
   * key of `bucket` that already holds an object, identical bytes or not. A string refuses the
   * write: 403 AccessDenied with that message (an empty string: "Access Denied"), the stored
   * object untouched. undefined lets it through. If it throws, the write is refused with 500.
   */
  readonly refuseOverwrite?: (key: string) => Promise<string | undefined>;
  /** Told (asynchronously, after the 403 is sent; errors are logged) of every refused write. */
  readonly onWriteRefused?: (key: string) => void | Promise<void>;
  readonly onLog?: (line: string) => void;
}

export interface S3Local {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_S3 (clients need forcePathStyle). */
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  /** Stops serving and waits for running onObjectCreated / onWriteRefused calls; safe to call twice. */
  stop(): Promise<void>;
}

/** The key every request must be signed with (s3rver's built-in account; see credentials.ts). */
export const s3LocalCredentials: LocalCredentials = localCredentials;

const manifestKeyPattern = /^claims\/[^/]+\/manifest\.json$/;
/** The key filter of the EventBridge rule that starts assess-claim. */
export const isManifestKey = (key: string): boolean => manifestKeyPattern.test(key);

export const defaultCorsOrigins: readonly string[] = ['http://127.0.0.1:8787', 'http://localhost:8787'];
