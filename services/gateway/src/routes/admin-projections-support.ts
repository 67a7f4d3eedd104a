import { AppError, PROJECTIONS, type ProjectionName } from '@chom/contracts';
import { z } from 'zod';

/** Any string, so that a projection no service owns is a 404, not a validation error. */
export const ProjectionParams = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(64)
    .describe(`the projection: ${Object.keys(PROJECTIONS).join(', ')}`),
});

/** The projection by its exact name (aliases are the CLI's), with the service that owns it. */
export function projectionOwner(name: string): { projection: ProjectionName; service: string } {
  if (!Object.hasOwn(PROJECTIONS, name)) throw new AppError('NOT_FOUND', `no projection "${name}"`);
  const projection = name as ProjectionName;
  return { projection, service: PROJECTIONS[projection] };
}
