/**
 * The control API's changes over worker processes. The primary keeps the
 * one book of every listener's faults and up/down state (so GET /faults is
 * one consistent answer), sends each change to every listening worker over
 * IPC and resolves once all of them applied it. A worker that starts later
 * (a restart) gets the book in its arguments and applies it before it
 * reports listening.
 */
import type { Config, FaultSettings } from "../config.ts";
import { type ListenerState, type RuntimeControl, startFaults } from "../runtime/control.ts";
import type { ControlOp, ControlState, ToWorker } from "./protocol.ts";
import type { Requests } from "./requests.ts";
import type { Slot } from "./slot.ts";

/** How long a change waits for every worker to apply it. */
const CONTROL_TIMEOUT_MS = 2000;

export interface WorkerControl extends RuntimeControl {
  /** What a worker starting now must apply. */
  state(): ControlState;
}

export function createWorkerControl(
  config: Config,
  file: Readonly<Record<string, FaultSettings>> | undefined,
  slots: readonly Slot[],
  requests: Requests<string | null>,
): WorkerControl {
  const faults = startFaults(config, file);
  const down = new Set<string>();

  const send = async (op: ControlOp): Promise<void> => {
    const ids = slots.filter((s) => s.listening && s.proc !== null).map((s) => s.id);
    const answers = await requests.ask(
      ids,
      (id, seq) => slots[id]?.proc?.send({ t: "control", seq, op } satisfies ToWorker),
      CONTROL_TIMEOUT_MS,
    );
    const failed = ids
      .map((id) => [id, answers.has(id) ? answers.get(id) : "no answer in time"] as const)
      .filter(([, error]) => error !== null && error !== undefined);
    if (failed.length > 0) {
      throw new Error(failed.map(([id, error]) => `worker ${id}: ${error}`).join("; "));
    }
  };

  return {
    listeners: () => {
      const out: Record<string, ListenerState> = {};
      for (const [name, f] of Object.entries(faults)) {
        out[name] = { faults: f, accepting: !down.has(name) };
      }
      return out;
    },
    async setFaults(changes, scope) {
      // The book first: a worker restarting meanwhile starts with the change.
      Object.assign(faults, changes);
      await send({ kind: "faults", changes, scope });
    },
    async setAccepting(name, accepting) {
      if (accepting) down.delete(name);
      else down.add(name);
      await send({ kind: "accepting", name, accepting });
    },
    state: () => ({ faults: { ...faults }, down: [...down] }),
  };
}
