/**
 * The fault options: delay, bandwidth, slicing, close or reset after N bytes,
 * and the share of connections that get them.
 */
import * as p from "./parsers.ts";
import { option } from "./spec.ts";

export const FAULT_OPTIONS = {
  delay: option({
    flag: "delay",
    default: Object.freeze({ ms: 0, jitterMs: 0 }),
    shown: "0",
    parser: p.delay,
    help: "Fault: wait MS[:JITTER] milliseconds before echoing each chunk or message",
    docs: "fault: wait `MS` milliseconds, plus up to `JITTER` more, before echoing each chunk or message",
  }),
  bandwidth: option({
    flag: "bandwidth",
    default: 0,
    parser: p.size(0),
    help: "Fault: echo at most this many bytes per second per connection (0 = off)",
    docs: "fault: echo at most this many bytes per second per connection; `0` = unlimited",
  }),
  slice: option({
    flag: "slice",
    default: 0,
    parser: p.size(0),
    help: "Fault: echo in separate writes of at most this many bytes (0 = off)",
    docs: "fault: echo in separate writes of at most this many bytes; `0` = off",
  }),
  closeAfter: option({
    flag: "close-after",
    default: 0,
    parser: p.size(0),
    help: "Fault: close (FIN) after echoing this many bytes (0 = off)",
    docs: "fault: close (FIN) after echoing this many bytes of a connection; `0` = off",
  }),
  resetAfter: option({
    flag: "reset-after",
    default: 0,
    parser: p.size(0),
    help: "Fault: reset (RST) after echoing this many bytes (0 = off)",
    docs: "fault: reset (RST) after echoing this many bytes of a connection; `0` = off; not with `--close-after`",
  }),
  faultRate: option({
    flag: "fault-rate",
    default: 1,
    parser: p.fraction,
    help: "The chance (0 to 1) that a new connection gets the faults",
    docs: "the chance that a new connection gets the faults above",
  }),
} as const;
