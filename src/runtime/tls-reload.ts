/**
 * SIGHUP's TLS reload, logged the same way for one process and for workers:
 * a bad file is logged and the old certificate stays in use.
 */
import type { Logger } from "../log.ts";

/** Runs `reload`; null if it succeeded, else why not (a bad file's message names the file). */
export async function tlsReloadError(reload: () => void | Promise<void>): Promise<string | null> {
  try {
    await reload();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Reloads and logs the outcome at info (reloaded) or error (kept the old certificate). */
export async function reloadTlsLogged(
  reload: (() => Promise<void>) | undefined,
  log: Logger,
): Promise<void> {
  if (reload === undefined) return;
  // With workers this waits for each one's answer: "reloaded" only if all of them did.
  const err = await tlsReloadError(reload);
  if (err === null) log.info("tls certificate reloaded");
  else log.error({ err }, "tls reload failed; keeping the old certificate");
}
