import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { authorize, type Access } from './permissions.js';
import { bearerToken, tokenVerifier, type Principal } from './token.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** `write` routes are refused to viewers; everything under the API is at least `read`. */
    access?: Access;
  }
}

/**
 * onRequest hook for the API scope: verifies the bearer token before the body is read,
 * then checks the route's `config.access` against the role.
 */
export function authenticate(secret: string): onRequestHookHandler {
  const verify = tokenVerifier(secret);
  return async function authenticateRequest(request: FastifyRequest, reply: FastifyReply) {
    const principal = await verify(bearerToken(request.headers.authorization));
    request.principal = principal;
    // reply.log writes "request completed": both carry the caller from here on.
    request.log = request.log.child({ tenantId: principal.tenantId, userId: principal.userId });
    reply.log = request.log;
    authorize(principal, request.routeOptions.config.access ?? 'read');
  };
}

/** The verified caller; only for handlers inside the authenticated scope. */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route is outside the authenticated scope');
  return request.principal;
}
