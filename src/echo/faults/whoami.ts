/**
 * `--whoami-line LINE` with `--framing line`: a line that is exactly LINE
 * (with LF or CRLF) is not echoed; the listener's banner goes out in its
 * place, in order with the echo around it, as agnhost answers `hostname`.
 * The line's bytes count as discarded (read, not echoed) and the banner's
 * as banner bytes, so the counters still balance.
 */
import type { Banner } from "../../identity/banner.ts";
import type { Connection, EchoSocket } from "../connection.ts";
import { clientAddress, localAddress } from "../peer.ts";
import type { EchoStats } from "../stats.ts";

export interface Whoami {
  readonly line: Uint8Array;
  readonly banner: Banner;
  readonly unixPath: string | null;
}

const LF = 10;
const CR = 13;

/** Sends on a unit (a run of `messages` lines, or a banner) through the stages. */
export type Emit = (
  socket: EchoSocket,
  conn: Connection,
  unit: Uint8Array,
  messages: number,
) => void;

/**
 * Emits a run of whole lines, with each line that is exactly `whoami.line`
 * replaced by the banner. Lines around a match leave as sub-runs (no copy).
 */
export function emitAnsweringWhoami(
  whoami: Whoami,
  socket: EchoSocket,
  conn: Connection,
  run: Uint8Array,
  lines: number,
  stats: EchoStats,
  emit: Emit,
): void {
  const want = whoami.line;
  let runStart = 0;
  let runLines = 0;
  let start = 0;
  let lf = run.indexOf(LF);
  while (lf >= 0) {
    const end = lf > start && run[lf - 1] === CR ? lf - 1 : lf;
    if (end - start === want.length && equalAt(run, start, want)) {
      if (runLines > 0) emit(socket, conn, run.subarray(runStart, start), runLines);
      const bytes = whoami.banner.fixed
        ? whoami.banner.render("", "")
        : whoami.banner.render(clientAddress(socket), localAddress(socket, whoami.unixPath));
      stats.discardedBytes += lf + 1 - start;
      stats.messages--; // the framer counted the line; it was answered, not echoed
      stats.bannerBytes += bytes.length;
      emit(socket, conn, bytes, 1);
      runStart = lf + 1;
      runLines = 0;
    } else {
      runLines++;
    }
    start = lf + 1;
    lf = run.indexOf(LF, start);
  }
  if (runStart === 0 && runLines === lines) {
    emit(socket, conn, run, lines);
  } else if (runLines > 0) {
    emit(socket, conn, run.subarray(runStart), runLines);
  }
}

function equalAt(run: Uint8Array, start: number, want: Uint8Array): boolean {
  for (let i = 0; i < want.length; i++) if (run[start + i] !== want[i]) return false;
  return true;
}
