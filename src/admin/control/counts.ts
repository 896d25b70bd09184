/**
 * The control API's counters, read by the echod_control_* metrics
 * (src/metrics/control.ts): changes made, by action, and requests refused.
 */

export const CONTROL_ACTIONS = ["faults", "ready", "listener_down", "listener_up"] as const;
export type ControlAction = (typeof CONTROL_ACTIONS)[number];

export interface ControlCounts {
  readonly changes: Record<ControlAction, number>;
  /** Requests without the right token (401). */
  unauthorized: number;
  /** Requests with a bad body, an unknown listener or key (400, 404). */
  invalid: number;
}

export function createControlCounts(): ControlCounts {
  return {
    changes: { faults: 0, ready: 0, listener_down: 0, listener_up: 0 },
    unauthorized: 0,
    invalid: 0,
  };
}
