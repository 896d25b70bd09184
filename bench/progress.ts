/**
 * A one-line progress bar for a terminal (the CLI shows it only on a TTY,
 * or with --progress): elapsed time over the run and the last second's
 * message rate, redrawn in place on stderr.
 */
export interface Progress {
  /** Adds one worker's counts for a second. */
  add(messages: number): void;
  stop(): void;
}

export function startProgress(
  write: (text: string) => void,
  totalSeconds: number | null,
  width = 30,
): Progress {
  const start = performance.now();
  let window = 0;
  let last = 0;
  const draw = () => {
    const elapsed = (performance.now() - start) / 1000;
    const done = totalSeconds ? Math.min(1, elapsed / totalSeconds) : 0;
    const filled = Math.round(done * width);
    const bar = totalSeconds ? `[${"=".repeat(filled)}${" ".repeat(width - filled)}] ` : "";
    write(`\r${bar}${elapsed.toFixed(0)} s  ${last.toLocaleString("en-US")} msg/s   `);
  };
  const timer = setInterval(() => {
    last = window;
    window = 0;
    draw();
  }, 1000);
  return {
    add(messages) {
      window += messages;
    },
    stop() {
      clearInterval(timer);
      write("\r\x1b[K");
    },
  };
}
