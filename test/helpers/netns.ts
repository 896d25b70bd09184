/**
 * A network namespace of the test's own, for tests that need small kernel
 * socket buffers: on the host's loopback the kernel absorbs several MiB per
 * connection (tcp_wmem autotunes up to 4 MiB), so a non-reading client
 * barely makes echod hold anything. Inside a namespace made with `unshare
 * -rn` (a user namespace, so it needs no privileges and changes nothing on
 * the host), loopback is brought up and tcp_wmem/tcp_rmem are set small.
 * A `sleep` holds the namespace; `stop()` ends it. Everything in it is
 * loopback-only by construction: the namespace has no other interface.
 */
import { afterEach } from "bun:test";

export interface Netns {
  /** The command prefix that runs a program inside the namespace. */
  readonly prefix: string[];
  /** Runs a command inside; resolves with its stdout (throws on a non-zero exit). */
  run(args: string[]): Promise<string>;
  /** GET a URL on the namespace's loopback (with python3, which the tests install). */
  get(url: string): Promise<string>;
  stop(): void;
}

const GET =
  "import sys,urllib.request;sys.stdout.write(urllib.request.urlopen(sys.argv[1],timeout=10).read().decode())";

/** Makes a namespace with loopback up and the given TCP buffer limits (bytes: min, default, max). */
export async function createNetns(
  buffers: { wmem: string; rmem: string } = {
    wmem: "4096 16384 65536",
    rmem: "4096 131072 6291456",
  },
): Promise<Netns> {
  const holder = Bun.spawn(["unshare", "-rn", "sleep", "600"], {
    stdout: "ignore",
    stderr: "inherit",
  });
  const prefix = ["nsenter", "-t", String(holder.pid), "-U", "-n", "--preserve-credentials"];
  const run = async (args: string[]): Promise<string> => {
    const proc = Bun.spawn([...prefix, ...args], { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    if (code !== 0) throw new Error(`${args.join(" ")} in the namespace exited ${code}: ${err}`);
    return out;
  };
  // unshare needs a moment to make the namespace before nsenter can join it.
  for (let i = 0; ; i++) {
    try {
      await run(["ip", "link", "set", "lo", "up"]);
      break;
    } catch (error) {
      if (i >= 50) throw error;
      await Bun.sleep(20);
    }
  }
  await run([
    "sysctl",
    "-qw",
    `net.ipv4.tcp_wmem=${buffers.wmem}`,
    `net.ipv4.tcp_rmem=${buffers.rmem}`,
  ]);
  return {
    prefix,
    run,
    get: (url) => run(["python3", "-c", GET, url]),
    stop: () => holder.kill("SIGKILL"),
  };
}

/** A namespace per test, ended after it even if the test failed half-way. */
export function netnsAfterEach(): Netns[] {
  const made: Netns[] = [];
  afterEach(() => {
    for (const ns of made.splice(0)) ns.stop();
  });
  return made;
}
