/**
 * The fault options: delay, bandwidth, slicing, close or reset after N bytes,
 * blackhole, timeout, slow close, corruption, a time limit, and the share of
 * connections that get them. This table is the one list of faults.
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
  blackhole: option({
    flag: "blackhole",
    switch: true,
    default: false,
    parser: p.boolean,
    help: "Fault: read and drop everything, echo nothing, keep the connection open",
    docs: "fault: read and drop every byte, echo nothing, keep the connection open until the client closes it",
  }),
  timeout: option({
    flag: "timeout",
    default: 0,
    parser: p.milliseconds,
    help: "Fault: echo nothing and close MS milliseconds after the first byte (0 = off)",
    docs: "fault: echo nothing, and close (FIN) `MS` milliseconds after a connection's first byte; `0` = off; not with `--blackhole`",
  }),
  slowClose: option({
    flag: "slow-close",
    default: 0,
    parser: p.milliseconds,
    help: "Fault: hold echod's FIN for MS milliseconds once a connection is to end (0 = off)",
    docs: "fault: when a connection is to end (the client's FIN echoed, or a fault's cut), hold echod's FIN or RST back `MS` milliseconds; `0` = off",
  }),
  corrupt: option({
    flag: "corrupt",
    default: 0,
    parser: p.fraction,
    help: "Fault: the chance (0 to 1) that one bit of a chunk or message is flipped",
    docs: "fault: the chance that one bit of each chunk (or run of messages) is flipped before it is echoed",
  }),
  limitTime: option({
    flag: "limit-time",
    default: 0,
    parser: p.milliseconds,
    help: "Fault: close a connection MS milliseconds after it opened (0 = off)",
    docs: "fault: stop echoing and close (FIN) a connection `MS` milliseconds after it opened; `0` = off",
  }),
  faultRate: option({
    flag: "fault-rate",
    default: 1,
    parser: p.fraction,
    help: "The chance (0 to 1) that a new connection gets the faults",
    docs: "the chance that a new connection gets the faults above",
  }),
} as const;
