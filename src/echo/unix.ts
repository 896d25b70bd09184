/**
 * Makes a Unix socket path ready to listen on. A socket file left by a
 * crashed run (nobody accepts on it) is removed; a live one (a server
 * answers) or a file that is not a socket is left alone and reported, so
 * echod never steals another server's socket.
 */
import { lstatSync, unlinkSync } from "node:fs";
import net from "node:net";
import { EchodError } from "../errors.ts";

/** Resolves once `path` is free to bind; throws an EchodError (exit 1) when it is not. */
export async function prepareUnixPath(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return;
    throw unixError(path, (error as Error).message);
  }
  if (!isSocket) throw unixError(path, "the path exists and is not a socket");
  if (await answers(path)) throw unixError(path, "another server is listening on it");
  try {
    unlinkSync(path);
  } catch (error) {
    throw unixError(path, `cannot remove the stale socket file: ${(error as Error).message}`);
  }
}

/** True if something accepts connections on the socket at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect({ path });
    const done = (live: boolean) => {
      clearTimeout(timer);
      probe.destroy();
      resolve(live);
    };
    // A listener with a full backlog may take a while; treat silence as alive (never delete a live socket).
    const timer = setTimeout(() => done(true), 2000);
    probe.once("connect", () => done(true));
    probe.once("error", (error: Error & { code?: string }) =>
      done(error.code !== "ECONNREFUSED" && error.code !== "ENOENT"),
    );
  });
}

function unixError(path: string, why: string): EchodError {
  return new EchodError("E_LISTEN", `cannot listen on ${path}: ${why}`);
}
