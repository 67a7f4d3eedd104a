import type { AuditSeverity } from '@chom/contracts';

const ERROR_ACTIONS = new Set(['failed', 'provisioning_failed']);

/**
 * How loud an audit entry is, from its event type alone: failures are errors, deletions
 * warnings, everything else information. Any future `<aggregate>.<something>_failed` is an
 * error too, so a new failure event is not filed as routine by default.
 */
export function severityOf(eventType: string): AuditSeverity {
  const action = eventType.slice(eventType.indexOf('.') + 1);
  if (ERROR_ACTIONS.has(action) || action.endsWith('_failed')) return 'error';
  if (action === 'deleted') return 'warning';
  return 'info';
}
