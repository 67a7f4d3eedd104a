import { SignJWT } from 'jose';

/** An HS256 bearer token as the gateway verifies it (`iss` chom, `aud` chom-api). */
export async function signToken(options: {
  secret: string;
  tenantId: string;
  userId: string;
  role: string;
  ttlSeconds: number;
}): Promise<string> {
  return new SignJWT({ tenant: options.tenantId, role: options.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.userId)
    .setIssuer('chom')
    .setAudience('chom-api')
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + options.ttlSeconds)
    .sign(new TextEncoder().encode(options.secret));
}
