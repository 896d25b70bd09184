/** The banner template: parsed once, placeholders filled, escapes, errors that name what is wrong. */
import { describe, expect, test } from "bun:test";
import { compileBanner, parseTemplate } from "../../src/identity/banner.ts";
import type { Identity } from "../../src/identity/identity.ts";
import { rejection } from "../helpers/usage.ts";

const ID: Identity = { hostname: "h1", pod: "p1", namespace: "ns", node: "n1", version: "9.9.9" };
const text = (b: Uint8Array) => Buffer.from(b).toString();

describe("banner templates", () => {
  test("every placeholder is filled, \\n, \\r\\n and \\\\ are escapes, other text stays as is", () => {
    const banner = compileBanner(
      parseTemplate(
        "{hostname}/{pod}/{namespace}/{node}/{version}/{listener}/{remote}/{local}\\r\\n\\\\ ok\\n",
      ),
      ID,
      "tls",
    );
    expect(banner.fixed).toBe(false);
    expect(text(banner.render("[::1]:5", "[::1]:7007"))).toBe(
      "h1/p1/ns/n1/9.9.9/tls/[::1]:5/[::1]:7007\r\n\\ ok\n",
    );
  });

  test("without {remote} and {local} the banner is one buffer, the same object each time", () => {
    const banner = compileBanner(parseTemplate("{pod} {listener}\\n"), ID, "unix");
    expect(banner.fixed).toBe(true);
    expect(banner.render("a", "b")).toBe(banner.render("c", "d"));
    expect(text(banner.render("", ""))).toBe("p1 unix\n");
  });

  test("unknown placeholders, stray braces and unknown escapes are usage errors naming them", () => {
    expect(rejection("{x}", () => parseTemplate("{x} {pod} {y}"))).toContain(
      "unknown placeholders {x}, {y}",
    );
    expect(rejection("}", () => parseTemplate("a}"))).toContain("has a } without an opening {");
    expect(rejection("\\t", () => parseTemplate("\\t"))).toContain("unknown escape \\t");
  });

  test("a template that could expand past 4096 bytes is refused at start", () => {
    expect(
      rejection("long", () =>
        compileBanner(parseTemplate(`${"x".repeat(4000)}{remote}`), ID, "tcp"),
      ),
    ).toContain("at most 4096");
  });
});
