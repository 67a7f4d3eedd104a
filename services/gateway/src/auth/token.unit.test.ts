import { AppError } from '@chom/contracts';
import { SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { authorize } from './permissions.js';
import { bearerToken, signToken, tokenVerifier, verifyToken } from './token.js';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const key = new TextEncoder().encode(secret);

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('tokens', () => {
  it('signs and verifies a principal', async () => {
    const token = await signToken({ secret, tenantId: 't_1', userId: 'u-1', role: 'admin', ttlSeconds: 60 });
    await expect(verifyToken(token, secret)).resolves.toEqual({ tenantId: 't_1', userId: 'u-1', role: 'admin' });
  });

  it('rejects a wrong secret, an expired token, a wrong audience, issuer or algorithm', async () => {
    const good = () =>
      new SignJWT({ tenant: 't_1', role: 'owner' }).setSubject('u').setIssuer('chom').setAudience('chom-api');
    const cases = [
      await signToken({ secret: `${secret}x`, tenantId: 't_1', userId: 'u', role: 'owner', ttlSeconds: 60 }),
      await good()
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime(Math.floor(Date.now() / 1000) - 10)
        .sign(key),
      await good().setAudience('other').setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1m').sign(key),
      await good().setIssuer('evil').setProtectedHeader({ alg: 'HS256' }).setExpirationTime('1m').sign(key),
      await good().setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1m').sign(key),
      await good().setProtectedHeader({ alg: 'HS256' }).sign(key),
      'not.a.jwt',
    ];
    for (const token of cases) expect((await rejection(verifyToken(token, secret))).code).toBe('UNAUTHORIZED');
    expect((await rejection(verifyToken(cases[1] as string, secret))).message).toBe('token expired');
  });

  it('rejects tokens whose claims do not fit (unknown role, tenant that is no subject token)', async () => {
    const sign = (claims: Record<string, unknown>) =>
      new SignJWT(claims)
        .setSubject('u')
        .setIssuer('chom')
        .setAudience('chom-api')
        .setProtectedHeader({ alg: 'HS256' })
        .setExpirationTime('1m')
        .sign(key);
    for (const claims of [{ tenant: 't_1', role: 'root' }, { tenant: 't.*', role: 'owner' }, { role: 'owner' }]) {
      expect((await rejection(verifyToken(await sign(claims), secret))).code).toBe('UNAUTHORIZED');
    }
  });

  it('verifies once per token with a verifier, and never remembers a refused one', async () => {
    const verify = tokenVerifier(secret, { cacheSize: 2 });
    const tokens = await Promise.all(
      ['u-1', 'u-2', 'u-3'].map((userId) =>
        signToken({ secret, tenantId: 't_1', userId, role: 'viewer', ttlSeconds: 60 }),
      ),
    );
    for (const token of [...tokens, ...tokens]) {
      const principal = await verify(token as string);
      expect(principal).toEqual(await verifyToken(token as string, secret));
    }
    const forged = await signToken({
      secret: `${secret}x`,
      tenantId: 't_1',
      userId: 'u-1',
      role: 'owner',
      ttlSeconds: 60,
    });
    for (let i = 0; i < 2; i += 1) expect((await rejection(verify(forged))).code).toBe('UNAUTHORIZED');
  });

  it('reads only "Bearer <token>" headers', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer  abc.def.ghi')).toBe('abc.def.ghi');
    for (const header of [undefined, '', 'Basic dXNlcjpwdw==', 'Bearer', 'Bearer a b']) {
      expect(() => bearerToken(header)).toThrow(AppError);
    }
  });

  it('lets viewers read but not write', () => {
    const viewer = { tenantId: 't', userId: 'u', role: 'viewer' as const };
    expect(() => authorize(viewer, 'read')).not.toThrow();
    expect(() => authorize(viewer, 'write')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => authorize({ ...viewer, role: 'member' }, 'write')).not.toThrow();
  });
});
