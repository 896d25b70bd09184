/** Admission control: --deny wins over --allow, and --accept-rate's token bucket, on a fake clock. */
import { describe, expect, test } from "bun:test";
import { resolveConfig } from "../../src/config.ts";
import { createAdmission } from "../../src/echo/admission.ts";

describe("admission", () => {
  test("nothing set: no check at all", () => {
    expect(createAdmission(resolveConfig({}), true)).toBeNull();
  });

  test("deny wins over allow; addresses outside allow are denied; IPv4-mapped IPv6 counts as IPv4", () => {
    const admit = createAdmission(
      resolveConfig({ allow: "10.0.0.0/8,::1", deny: "10.0.0.66" }),
      true,
    );
    expect(admit?.("10.1.2.3", 0)).toBeNull();
    expect(admit?.("::ffff:10.1.2.3", 0)).toBeNull();
    expect(admit?.("::1", 0)).toBeNull();
    expect(admit?.("10.0.0.66", 0)).toBe("denied");
    expect(admit?.("::ffff:10.0.0.66", 0)).toBe("denied");
    expect(admit?.("192.168.0.1", 0)).toBe("denied");
  });

  test("a Unix socket has no address to list, but its rate is limited", () => {
    expect(createAdmission(resolveConfig({ deny: "0.0.0.0/0" }), false)).toBeNull();
    const admit = createAdmission(resolveConfig({ acceptRate: "1:1" }), false);
    expect([admit?.("", 0), admit?.("", 1)]).toEqual([null, "rate_limited"]);
  });

  test("100:50 lets a burst of 50 through at once, then one per 10 ms", () => {
    const admit = createAdmission(resolveConfig({ acceptRate: "100:50" }), true);
    if (admit === null) throw new Error("no admission");
    const first = Array.from({ length: 60 }, () => admit("127.0.0.1", 1000));
    expect(first.filter((r) => r === null).length).toBe(50);
    expect(first.filter((r) => r === "rate_limited").length).toBe(10);
    expect(admit("127.0.0.1", 1005)).toBe("rate_limited");
    expect(admit("127.0.0.1", 1010)).toBeNull();
    expect(admit("127.0.0.1", 1010)).toBe("rate_limited");
    // One second idle refills the bucket to its burst, not beyond.
    const later = Array.from({ length: 60 }, () => admit("127.0.0.1", 5000));
    expect(later.filter((r) => r === null).length).toBe(50);
  });

  test("denied connections take no token", () => {
    const admit = createAdmission(resolveConfig({ acceptRate: "1:1", deny: "10.0.0.1" }), true);
    expect(admit?.("10.0.0.1", 0)).toBe("denied");
    expect(admit?.("10.0.0.2", 0)).toBeNull();
  });
});
