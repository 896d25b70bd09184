/**
 * GET /whoami on the admin port, with curl: JSON with the fields a --banner
 * shows, the Downward API variables set in echod's environment.
 */
import { expect, test } from "bun:test";
import { hostname } from "node:os";
import pkg from "../../package.json" with { type: "json" };
import { LOOPBACK_WITH_ADMIN, runCommand, spawnKilledAfterEach } from "../helpers/spawn-echod.ts";

const spawn = spawnKilledAfterEach();
const ENV = { POD_NAME: "echod-7d9f-x2", POD_NAMESPACE: "edge", NODE_NAME: "node-3" };

test("GET /whoami answers JSON with the banner's fields", async () => {
  const echod = await spawn([...LOOPBACK_WITH_ADMIN], {
    env: ENV,
  });
  const admin = echod.metricsPort as number;
  const curl = await runCommand(
    ["curl", "-sS", "-i", `http://127.0.0.1:${admin}/whoami`],
    {},
    5000,
  );
  const [head = "", body = ""] = curl.stdout.split("\r\n\r\n");
  expect(head).toMatch(/^HTTP\/1\.1 200/);
  expect(head.toLowerCase()).toContain("content-type: application/json");
  const fields = JSON.parse(body) as Record<string, string>;
  expect(fields).toEqual({
    hostname: hostname(),
    pod: "echod-7d9f-x2",
    namespace: "edge",
    node: "node-3",
    version: pkg.version,
    listener: "admin",
    remote: expect.stringMatching(/^127\.0\.0\.1:\d+$/) as unknown as string,
    local: `127.0.0.1:${admin}`,
  });
});
