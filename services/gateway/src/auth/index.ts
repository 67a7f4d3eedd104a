export { authenticate, principalOf } from './hooks.js';
export { authorize } from './permissions.js';
export type { Access } from './permissions.js';
export { AUDIENCE, ISSUER, Role, bearerToken, signToken, verifyToken } from './token.js';
export type { Principal, SignTokenOptions } from './token.js';
