import { z } from 'zod';
import { Actor, TenantId } from '../ids.js';
import { ErrorBody } from '../errors.js';

/** Who is asking: every request names its tenant, and services scope every query by it. */
export const RequestContext = z.strictObject({
  tenantId: TenantId,
  actor: Actor,
  correlationId: z.string().min(1).max(128),
});
export type RequestContext = z.infer<typeof RequestContext>;

export const PageLimit = z.coerce.number().int().min(1).max(100).default(20);
/** Opaque cursor handed back by a list and passed again for the next page. */
export const Cursor = z.string().min(1).max(512);

export function page<T extends z.ZodType>(item: T) {
  return z.strictObject({ items: z.array(item), nextCursor: z.string().nullable() });
}

/** A service's reply to a request: its result, or the one error shape. */
export type Reply<T> = { ok: true; data: T } | { ok: false; error: ErrorBody };

export function replySchema<T extends z.ZodType>(data: T) {
  // Built once per response schema: a zod schema costs far more to build (and to compile on
  // its first parse) than to use, and the callers ask for it on every request.
  const cached = replies.get(data) as ReplySchema<T> | undefined;
  if (cached) return cached;
  const built = buildReplySchema(data);
  replies.set(data, built);
  return built;
}

function buildReplySchema<T extends z.ZodType>(data: T) {
  return z.discriminatedUnion('ok', [
    z.strictObject({ ok: z.literal(true), data }),
    z.strictObject({ ok: z.literal(false), error: ErrorBody }),
  ]);
}

type ReplySchema<T extends z.ZodType> = ReturnType<typeof buildReplySchema<T>>;
const replies = new WeakMap<z.ZodType, unknown>();

/** One request/reply operation: its subject tokens and both payloads. */
export interface Operation<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> {
  readonly service: string;
  readonly name: string;
  readonly request: Req;
  readonly response: Res;
}

export function defineOperation<Req extends z.ZodType, Res extends z.ZodType>(
  service: string,
  name: string,
  request: Req,
  response: Res,
): Operation<Req, Res> {
  return Object.freeze({ service, name, request, response });
}
