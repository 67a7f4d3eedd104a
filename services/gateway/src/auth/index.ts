export { authenticate, principalOf } from './hooks.js';
export { authorize } from './permissions.js';
export type { Access } from './permissions.js';
export { AUDIENCE, ISSUER, Role, bearerToken, signToken, tokenVerifier, verifyToken } from './token.js';
export type { Principal, SignTokenOptions, TokenVerifierOptions } from './token.js';
