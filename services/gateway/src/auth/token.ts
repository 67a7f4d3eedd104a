import { AppError, TenantId } from '@chom/contracts';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
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
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, encoder.encode(secret), {
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
  return { userId: claims.data.sub, tenantId: claims.data.tenant, role: claims.data.role };
}

/** The token of an `Authorization: Bearer <token>` header; throws `UNAUTHORIZED` when absent or malformed. */
export function bearerToken(header: string | undefined): string {
  if (!header) throw new AppError('UNAUTHORIZED', 'missing bearer token');
  const match = /^Bearer[ ]+([A-Za-z0-9._~+/-]+=*)$/i.exec(header.trim());
  if (!match?.[1]) throw new AppError('UNAUTHORIZED', 'authorization header must be "Bearer <token>"');
  return match[1];
}
