// The middleware stack every handler shares: structured logs with the Lambda context, event
// parsing with the shape's zod schema, then the handler. Middleware first, handler last.
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { parser } from '@aws-lambda-powertools/parser/middleware';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ZodError } from 'zod';
import { isRole, mayCall, type Principal } from '#shared/access.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { errorBody, httpErrorOf, invalidRequestOf } from '#functions/http-errors.ts';

export function makeLogger(serviceName = 'claims'): Logger {
  return new Logger({
    serviceName,
    logLevel: (process.env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
  });
}

/** A workflow step Lambda: parses its input with `schema` and returns `run`'s result. */
export function workflowStep<S extends z.ZodType, R>(
  logger: Logger,
  schema: S,
  run: (input: z.infer<S>) => Promise<R>,
): (event: unknown, context: Context) => Promise<R> {
  const handler = middy()
    .use(injectLambdaContext(logger))
    .use(parser({ schema }))
    .handler(async (input) => {
      const result = await run(input as z.infer<S>);
      // Only ids and outcomes are logged: step results never carry personal data.
      logger.info('step done', { result: result as Record<string, unknown> });
      return result;
    });
  return handler as unknown as (event: unknown, context: Context) => Promise<R>;
}

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
export type ApiResult = APIGatewayProxyStructuredResultV2;

export interface ApiRequest {
  readonly event: ApiEvent;
  readonly principal: Principal | undefined;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly params: Readonly<Record<string, string | undefined>>;
  /** The body as text (base64 bodies decoded). */
  readonly text: string;
  /** The body parsed as JSON; a 400 when it is not JSON. */
  json(): unknown;
}

export type ApiReply =
  { status?: number; body: unknown; headers?: Record<string, string> } | (ApiResult & { statusCode: number });

/**
 * Reads the caller from the JWT authorizer's claims. API Gateway hands `cognito:groups` over
 * as a string like "[finance admin]"; the local server does the same.
 */
export function principalOf(event: ApiEvent): Principal | undefined {
  const claims = event.requestContext.authorizer?.jwt?.claims;
  if (!claims) return undefined;
  const username = String(claims['cognito:username'] ?? claims.username ?? claims.sub ?? '');
  if (!username) return undefined;
  const raw = claims['cognito:groups'];
  const groups = Array.isArray(raw)
    ? raw.map(String)
    : String(raw ?? '')
        .replace(/^\[|\]$/g, '')
        .split(/[\s,]+/)
        .filter(Boolean);
  return { username, roles: groups.filter(isRole) };
}

const jsonHeaders = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

function errorReply(
  status: number,
  code: string,
  message: string,
  params: Record<string, string | number> = {},
  extra?: Record<string, unknown>,
): ApiResult {
  return {
    statusCode: status,
    headers: jsonHeaders,
    body: JSON.stringify(errorBody({ code, message, params, ...(extra ? { extra } : {}) })),
  };
}

/** An HTTP API route: access check from the policy table, JSON in and out, errors mapped. */
export function apiRoute(logger: Logger, name: string, run: (request: ApiRequest) => Promise<ApiReply>) {
  return middy<ApiEvent, ApiResult>()
    .use(injectLambdaContext(logger))
    .handler(async (event: ApiEvent): Promise<ApiResult> => {
      const principal = principalOf(event);
      if (!mayCall(principal, name)) {
        return principal
          ? errorReply(403, 'FORBIDDEN', 'your role may not do this')
          : errorReply(401, 'UNAUTHENTICATED', 'sign in first');
      }
      const text = event.body
        ? event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body
        : '';
      const request: ApiRequest = {
        event,
        principal,
        query: event.queryStringParameters ?? {},
        params: event.pathParameters ?? {},
        text,
        json() {
          try {
            return text ? JSON.parse(text) : {};
          } catch {
            throw new InvalidInputError('BAD_JSON', 'the request body is not valid JSON');
          }
        },
      };
      try {
        const reply = await run(request);
        if ('statusCode' in reply) return reply;
        return {
          statusCode: reply.status ?? 200,
          headers: { ...jsonHeaders, ...reply.headers },
          body: JSON.stringify(reply.body),
        };
      } catch (error) {
        const refused = httpErrorOf(error);
        if (refused)
          return errorReply(refused.status, refused.code, refused.message, refused.params, refused.extra);
        if (error instanceof ZodError) {
          const invalid = invalidRequestOf(
            error.issues.slice(0, 5).map((i) => ({ path: i.path.join('.'), message: i.message })),
          );
          return errorReply(invalid.status, invalid.code, invalid.message, invalid.params, invalid.extra);
        }
        // Messages of unexpected errors may hold anything; the log keeps them, the caller does not.
        logger.error('unhandled error', {
          route: name,
          errorName: error instanceof Error ? error.name : 'unknown',
        });
        logger.debug('unhandled error detail', { error: error as Error });
        return errorReply(500, 'INTERNAL', 'something went wrong; the request id is in the logs');
      }
    });
}
