/**
 * `--banner TEMPLATE`: compiled once at start into literal bytes and the
 * per-connection holes `{remote}` and `{local}`; every other placeholder is
 * filled in then. A template without those two holes is one buffer written
 * as is to every connection. `\n`, `\r` and `\\` in the template are
 * escapes (so `\r\n` is CRLF); an unknown placeholder is a usage error
 * naming it.
 */
import { usageError } from "../errors.ts";
import type { Identity } from "./identity.ts";

export const PLACEHOLDERS = [
  "hostname",
  "pod",
  "namespace",
  "node",
  "version",
  "listener",
  "remote",
  "local",
] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/** The most bytes a banner may have, with the longest {remote} and {local}: it goes out in one write. */
export const MAX_BANNER_BYTES = 4096;
/** The longest address a hole can take: a Unix socket path (108) or `[IPv6]:port` (53). */
const LONGEST_ADDRESS = 108;

/** A template split at its placeholders: literal text and placeholder names, in order. */
export type Template = readonly (string | { readonly name: Placeholder })[];

/** Parses a template; throws a usage error naming unknown placeholders or a stray brace. */
export function parseTemplate(text: string, option = "--banner"): Template {
  const parts: (string | { name: Placeholder })[] = [];
  const unknown: string[] = [];
  let literal = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "\\") {
      const next = text[i + 1];
      const escaped = next === "n" ? "\n" : next === "r" ? "\r" : next === "\\" ? "\\" : null;
      if (escaped === null) {
        throw usageError(option, text, `unknown escape \\${next ?? ""} (use \\n, \\r\\n or \\\\)`);
      }
      literal += escaped;
      i++;
    } else if (c === "{") {
      const close = text.indexOf("}", i);
      if (close < 0) throw usageError(option, text, "has a { without a closing }");
      const name = text.slice(i + 1, close);
      if ((PLACEHOLDERS as readonly string[]).includes(name)) {
        if (literal !== "") parts.push(literal);
        literal = "";
        parts.push({ name: name as Placeholder });
      } else {
        unknown.push(`{${name}}`);
      }
      i = close;
    } else if (c === "}") {
      throw usageError(option, text, "has a } without an opening {");
    } else {
      literal += c;
    }
  }
  if (unknown.length > 0) {
    throw usageError(
      option,
      text,
      `unknown placeholder${unknown.length > 1 ? "s" : ""} ${unknown.join(", ")} (known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(" ")})`,
    );
  }
  if (literal !== "") parts.push(literal);
  return parts;
}

/** The banner of one listener: `render(remote, local)` gives its bytes for one connection. */
export interface Banner {
  /** True when every connection gets the same bytes (no {remote}, no {local}). */
  readonly fixed: boolean;
  render(remote: string, local: string): Uint8Array;
}

/** Fills in everything but {remote} and {local}; checks the size with the longest addresses. */
export function compileBanner(
  template: Template,
  identity: Identity,
  listener: string,
  option = "--banner",
): Banner {
  const fields: Record<Exclude<Placeholder, "remote" | "local">, string> = {
    hostname: identity.hostname,
    pod: identity.pod,
    namespace: identity.namespace,
    node: identity.node,
    version: identity.version,
    listener,
  };
  // Adjacent literals merged: [text, "remote" | "local", text, ...].
  const pieces: (string | "\0remote" | "\0local")[] = [];
  for (const part of template) {
    const piece =
      typeof part === "string"
        ? part
        : part.name === "remote" || part.name === "local"
          ? (`\0${part.name}` as const)
          : fields[part.name];
    const last = pieces.length - 1;
    if (!piece.startsWith("\0") && last >= 0 && !(pieces[last] as string).startsWith("\0")) {
      pieces[last] += piece;
    } else {
      pieces.push(piece);
    }
  }
  const longest = Buffer.byteLength(
    pieces.map((p) => (p.startsWith("\0") ? "x".repeat(LONGEST_ADDRESS) : p)).join(""),
  );
  if (longest > MAX_BANNER_BYTES) {
    throw usageError(
      option,
      template.map((p) => (typeof p === "string" ? p : `{${p.name}}`)).join(""),
      `expands to up to ${longest} bytes; at most ${MAX_BANNER_BYTES}`,
    );
  }
  if (pieces.every((p) => !p.startsWith("\0"))) {
    const bytes = Buffer.from(pieces.join(""));
    return { fixed: true, render: () => bytes };
  }
  return {
    fixed: false,
    render(remote, local) {
      let text = "";
      for (const p of pieces) text += p === "\0remote" ? remote : p === "\0local" ? local : p;
      return Buffer.from(text);
    },
  };
}

/** The fields of GET /whoami: the banner's, for one HTTP client. */
export function whoamiFields(
  identity: Identity,
  listener: string,
  remote: string,
  local: string,
): Record<Placeholder, string> {
  return { ...identity, listener, remote, local };
}
