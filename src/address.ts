/**
 * `host:port` as echod writes it in logs and errors: an IPv6 host goes in
 * brackets (`[::1]:7`), so the port cannot be read as part of the address.
 */

/** `host:port`, with an IPv6 host in brackets. */
export function formatAddress(host: string, port: number): string {
  return `${formatHost(host)}:${port}`;
}

/** The host as it appears before `:port` or in a URL: an IPv6 address in brackets. */
export function formatHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x) and `localhost`: reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return (
    h === "localhost" ||
    h === "::1" ||
    /^(::ffff:)?127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    /^0{0,4}(:0{0,4}){0,6}:0{0,3}1$/.test(h)
  );
}
