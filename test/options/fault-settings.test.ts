/** Fault settings read and shown by flag, through each fault option's own parser. */
import { expect, test } from "bun:test";
import { DEFAULTS, resolveConfig } from "../../src/config.ts";
import {
  FAULT_FLAGS,
  faultsOf,
  formatFaults,
  NO_FAULTS,
  readFaults,
} from "../../src/options/fault-settings.ts";
import { FAULT_OPTIONS } from "../../src/options/faults.ts";

test("the keys are the fault options' flags, in table order", () => {
  expect(FAULT_FLAGS).toEqual(Object.values(FAULT_OPTIONS).map((o) => o.flag));
  expect(Object.keys(formatFaults(NO_FAULTS))).toEqual([...FAULT_FLAGS]);
});

test("values go through the flags' parsers; shown in the flags' units", () => {
  const read = readFaults(
    { delay: "200:50", bandwidth: "64KiB", "close-after": 10 },
    NO_FAULTS,
    "",
  );
  expect(read).toEqual({
    ...NO_FAULTS,
    delay: { ms: 200, jitterMs: 50 },
    bandwidth: 65536,
    closeAfter: 10,
  });
  expect(formatFaults(read)).toMatchObject({
    delay: "200:50",
    bandwidth: 65536,
    "close-after": 10,
  });
  expect(formatFaults(readFaults({ delay: 7 }, NO_FAULTS, ""))).toMatchObject({ delay: 7 });
  // Keys left out keep the base's values.
  expect(readFaults({ slice: 3 }, read, "").bandwidth).toBe(65536);
});

test("a bad value, an unknown flag or a non-scalar value names where and what", () => {
  expect(() => readFaults({ slice: "x" }, NO_FAULTS, "here: ")).toThrow('invalid here: slice "x"');
  expect(() => readFaults({ closeAfter: 1 }, NO_FAULTS, "")).toThrow(
    'invalid closeAfter "1": is not a fault (one of delay, bandwidth',
  );
  expect(() => readFaults({ delay: [1] }, NO_FAULTS, "")).toThrow(
    'invalid delay "[1]": must be a string or a number',
  );
});

test("faultsOf takes a Config's fault values and nothing else", () => {
  const config = resolveConfig({ delay: "5", slice: "2" });
  expect(faultsOf(config)).toEqual({ ...NO_FAULTS, delay: { ms: 5, jitterMs: 0 }, slice: 2 });
  expect(faultsOf(DEFAULTS)).toEqual(NO_FAULTS);
});
