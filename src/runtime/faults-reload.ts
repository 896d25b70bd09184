/**
 * SIGHUP's --faults reload: the file is read again and checked in full; if
 * it is good, every listener is set to its flags with the file's keys over
 * them (a listener the file no longer names goes back to its flags, and a
 * control API change is replaced), with the file's scope. A bad file is
 * logged and changes nothing.
 */
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";
import { type FaultSettings, formatFaults } from "../options/fault-settings.ts";
import type { RuntimeControl } from "./control.ts";
import { readFaultsFile } from "./faults-file.ts";

export async function reloadFaultsLogged(
  config: Config,
  control: RuntimeControl,
  base: Readonly<Record<string, FaultSettings>>,
  log: Logger,
): Promise<void> {
  if (config.faults === null) return;
  try {
    const file = readFaultsFile(config.faults, base);
    const now = control.listeners();
    const changes: Record<string, FaultSettings> = {};
    for (const [name, flags] of Object.entries(base)) {
      const next = file.faults[name] ?? flags;
      const current = now[name]?.faults;
      if (current === undefined) continue;
      if (JSON.stringify(formatFaults(current)) !== JSON.stringify(formatFaults(next))) {
        changes[name] = next;
      }
    }
    await control.setFaults(changes, file.scope);
    const names = Object.keys(changes);
    const shown = (pick: (name: string) => FaultSettings | undefined) =>
      Object.fromEntries(names.map((n) => [n, formatFaults(pick(n) as FaultSettings)]));
    log.info(
      {
        who: "SIGHUP",
        file: config.faults,
        scope: file.scope,
        before: shown((n) => now[n]?.faults),
        after: shown((n) => changes[n]),
      },
      "faults reloaded",
    );
  } catch (error) {
    log.error(
      { file: config.faults, err: (error as Error).message },
      "faults reload failed; keeping the faults in force",
    );
  }
}
