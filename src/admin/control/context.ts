/** What every control API handler works with. */
import type { Logger } from "../../log.ts";
import type { RuntimeControl } from "../../runtime/control.ts";
import type { ControlCounts } from "./counts.ts";

export interface ControlContext {
  readonly control: RuntimeControl;
  readonly log: Logger;
  readonly counts: ControlCounts;
  /** The API's readiness switch (POST /control/ready); /readyz and echod_ready read it. */
  ready: boolean;
}

/** The requester, for the log line of a change: the peer address, and port. */
export type Who = string;
