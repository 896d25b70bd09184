import { expect, test } from "bun:test";
import { EchodError } from "../src/errors.ts";
import { errorText, listenError, listenReason } from "../src/listen-error.ts";

const errno = (code: string, message = `${code}: failed`) =>
  Object.assign(new Error(message), { code });

test("a busy port is named by kind, exit 1", () => {
  const tcp = listenError("tcp", "127.0.0.1:7", errno("EADDRINUSE"));
  expect(tcp).toBeInstanceOf(EchodError);
  expect(tcp.code).toBe("E_LISTEN");
  expect(tcp.exitCode).toBe(1);
  expect(tcp.message).toBe("cannot listen on 127.0.0.1:7: address already in use");
  expect(listenError("udp", "[::1]:7", errno("EADDRINUSE")).message).toBe(
    "cannot listen on udp [::1]:7: address already in use",
  );
  expect(listenError("admin", "127.0.0.1:9464", errno("EADDRINUSE")).message).toBe(
    "cannot listen on 127.0.0.1:9464 (admin): address already in use",
  );
});

test("a privileged port says what it needs; a Unix path does not", () => {
  expect(listenError("tcp", "127.0.0.1:80", errno("EACCES")).message).toBe(
    "cannot listen on 127.0.0.1:80: permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)",
  );
  expect(listenError("unix", "/run/echod.sock", errno("EACCES")).message).toBe(
    "cannot listen on /run/echod.sock: permission denied",
  );
});

test("an address not on this machine exits 2 only for the admin server", () => {
  const admin = listenError("admin", "198.51.100.77:9464", errno("EADDRNOTAVAIL"));
  expect(admin.message).toBe(
    "cannot listen on 198.51.100.77:9464 (admin): address not available on this machine",
  );
  expect(admin.exitCode).toBe(2);
  expect(listenError("tcp", "198.51.100.77:7", errno("EADDRNOTAVAIL")).exitCode).toBe(1);
});

test("an unknown errno keeps the error's own message", () => {
  expect(listenReason("tcp", errno("EINVAL", "Invalid argument"))).toBe("Invalid argument");
  expect(listenReason("udp", undefined)).toBe(
    "no error object (an ICMP error for an earlier echo)",
  );
  expect(errorText({ code: "X", toString: () => "errno X" })).toBe("errno X");
  expect(errorText(Object.create(null))).toBe("object");
});
