/**
 * A one-line progress bar for a terminal (the CLI shows it only on a TTY,
 * or with --progress): elapsed time over the run and the messages echoed so
 * far, redrawn in place on stderr twice a second.
 */
export interface Progress {
  /** Adds one worker's count for one measured second. */
  add(messages: number): void;
  stop(): void;
}

export function startProgress(
  write: (text: string) => void,
  totalSeconds: number | null,
  width = 30,
): Progress {
  const start = performance.now();
  let echoed = 0;
  const draw = () => {
    const elapsed = (performance.now() - start) / 1000;
    const done = totalSeconds ? Math.min(1, elapsed / totalSeconds) : 0;
    const filled = Math.round(done * width);
    const bar = totalSeconds ? `[${"=".repeat(filled)}${" ".repeat(width - filled)}] ` : "";
    write(`\r${bar}${elapsed.toFixed(0)} s  ${echoed.toLocaleString("en-US")} messages echoed   `);
  };
  const timer = setInterval(draw, 500);
  return {
    add(messages) {
      echoed += messages;
    },
    stop() {
      clearInterval(timer);
      write("\r\x1b[K");
    },
  };
}
