/**
 * The options of the control API (src/admin/control/), of faults read from
 * a file and of per-port fault profiles.
 */
import * as p from "./parsers.ts";
import { profiles } from "./profiles.ts";
import { option } from "./spec.ts";

const text: p.ValueParser<string> = {
  accepts: "text, or `@PATH` to read it from a file",
  read(value, name) {
    if (typeof value !== "string" || value.trim() === "") {
      return p.path.read(value, name); // the same error for an empty value
    }
    return value;
  },
};

export const CONTROL_OPTIONS = {
  control: option({
    flag: "control",
    switch: true,
    default: false,
    parser: p.boolean,
    help: "Serve the control API on the admin port: /faults, /control/ready, /control/listeners",
    docs: "serve the control API on the admin port (docs/control-api.md); needs `--control-token` unless `--metrics-host` is a loopback address",
  }),
  controlToken: option({
    flag: "control-token",
    default: null,
    shown: "none",
    parser: p.optional(text),
    help: "Bearer token the control API requires (@PATH reads it from a file)",
    docs: "bearer token the control API requires (`Authorization: Bearer TOKEN`); `@PATH` reads it from a file (surrounding white space dropped); never logged",
  }),
  faults: option({
    flag: "faults",
    default: null,
    shown: "none",
    parser: p.optional(p.path),
    help: "JSON or YAML file of per-listener faults (the shape of GET /faults); re-read on SIGHUP",
    docs: "JSON or YAML file of per-listener faults, the shape of `GET /faults`; read at start (a bad file exits 2) and on SIGHUP (a bad file is logged and changes nothing)",
  }),
  profile: option({
    flag: "profile",
    repeatable: true,
    default: Object.freeze([]),
    shown: "none",
    parser: profiles,
    help: "Extra TCP listener NAME:PORT:KEY=VALUE,... with its own faults (repeatable)",
    docs: "an extra TCP listener on `--host` with its own faults and `listener` label; repeat for more",
  }),
} as const;
