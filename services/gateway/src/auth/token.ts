import type { webcrypto } from 'node:crypto';
import { AppError, TenantId } from '@chom/contracts';
import { errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';

export const ISSUER = 'chom';
export const AUDIENCE = 'chom-api';
const ALGORITHM = 'HS256';

/** Tenant roles, and `platform-admin`: the operator, who alone may call the admin API. */
export const Role = z.enum(['owner', 'admin', 'member', 'viewer', 'platform-admin']);
export type Role = z.infer<typeof Role>;

/** Who is calling, as the verified token says. */
export interface Principal {
  userId: string;
  tenantId: string;
  role: Role;
}

const Claims = z.object({
  sub: z.string().min(1).max(128),
  tenant: TenantId,
  role: Role,
});

const encoder = new TextEncoder();

export interface SignTokenOptions {
  secret: string;
  tenantId: string;
  userId: string;
  role: Role;
  ttlSeconds: number;
}

/** Signs an HS256 access token for the API (`iss` chom, `aud` chom-api). */
export async function signToken(options: SignTokenOptions): Promise<string> {
  const claims = Claims.parse({ sub: options.userId, tenant: options.tenantId, role: options.role });
  if (!Number.isInteger(options.ttlSeconds) || options.ttlSeconds <= 0)
    throw new RangeError('ttlSeconds must be a positive integer');
  return new SignJWT({ tenant: claims.tenant, role: claims.role })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + options.ttlSeconds)
    .sign(encoder.encode(options.secret));
}

function reasonOf(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'token expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `token claim "${error.claim}" is not valid`;
  return 'token is not valid';
}

/** Verifies signature, algorithm, issuer, audience and expiry; throws `UNAUTHORIZED` otherwise. */
export async function verifyToken(token: string, secret: string): Promise<Principal> {
  return (await verified(token, encoder.encode(secret))).principal;
}

async function verified(
  token: string,
  key: Uint8Array | webcrypto.CryptoKey,
): Promise<{ principal: Principal; exp: number }> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      issuer: ISSUER,
      audience: AUDIENCE,
      requiredClaims: ['exp', 'sub'],
    }));
  } catch (error) {
    throw new AppError('UNAUTHORIZED', reasonOf(error), { cause: error });
  }
  const claims = Claims.safeParse(payload);
  if (!claims.success) throw new AppError('UNAUTHORIZED', 'token claims are not valid');
  return {
    principal: { userId: claims.data.sub, tenantId: claims.data.tenant, role: claims.data.role },
    exp: payload.exp ?? 0,
  };
}

export interface TokenVerifierOptions {
  /** Verified tokens remembered at most (default 10,000); the oldest goes first. */
  cacheSize?: number;
  /** How long a verified token is remembered (default 60 s), never past its expiry. */
  cacheTtlMs?: number;
  now?: () => number;
}

/**
 * {@link verifyToken} for one secret, for every request: the HMAC key is imported once, and a
 * token verified recently is not verified again (a client sends the same token with each
 * request). Only valid tokens are remembered, by their exact text, and never past `exp`.
 */
export function tokenVerifier(
  secret: string,
  options: TokenVerifierOptions = {},
): (token: string) => Promise<Principal> {
  const cacheSize = options.cacheSize ?? 10_000;
  const ttlMs = options.cacheTtlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const key = crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'verify',
  ]);
  const cache = new Map<string, { principal: Principal; until: number }>();
  return async (token) => {
    const hit = cache.get(token);
    if (hit && hit.until > now()) return hit.principal;
    if (hit) cache.delete(token);
    const { principal, exp } = await verified(token, await key);
    if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
    cache.set(token, { principal, until: Math.min(exp * 1000, now() + ttlMs) });
    return principal;
  };
}

/** The token of an `Authorization: Bearer <token>` header; throws `UNAUTHORIZED` when absent or malformed. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw new AppError('UNAUTHORIZED', 'missing bearer token');
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  if (!match?.[1]) throw new AppError('UNAUTHORIZED', 'authorization header must be "Bearer <token>"');
  return match[1];
}
