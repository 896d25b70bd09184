/** Placeholder replaced by the admin issue. */
import type { Config } from "../config.ts";
export async function runHealthcheck(_config: Config): Promise<number> {
  return 1;
}
