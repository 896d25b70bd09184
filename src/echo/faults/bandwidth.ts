/**
 * `--bandwidth BYTES`: a token bucket per connection, refilled at the
 * configured rate and holding 50 ms of it (at least one byte), so the echo
 * leaves in small bursts at the average rate.
 */
import type { FaultStage } from "./stage.ts";

export interface BandwidthState {
  tokens: number;
  /** When the bucket was last refilled (ms, performance.now clock). */
  refilledAt: number;
}

export function createBandwidthStage(bytesPerSecond: number): FaultStage<BandwidthState> {
  const burst = Math.max(1, Math.floor(bytesPerSecond / 20));
  return {
    open: (now) => ({ tokens: burst, refilledAt: now }),
    enter(_state, bytes, messages, _passage, stats) {
      stats.faults.bandwidth += messages;
      return bytes;
    },
    leave(state, n, now) {
      state.tokens = Math.min(
        burst,
        state.tokens + ((now - state.refilledAt) * bytesPerSecond) / 1000,
      );
      state.refilledAt = now;
      const want = Math.min(n, burst);
      if (state.tokens < want) return -((want - state.tokens) * 1000) / bytesPerSecond;
      const take = n > state.tokens ? Math.floor(state.tokens) : n;
      state.tokens -= take;
      return take;
    },
  };
}
