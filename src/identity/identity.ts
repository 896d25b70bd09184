/**
 * Who this echod is, for the banner and `GET /whoami`: the host name, and
 * the pod, namespace and node that the Kubernetes Downward API puts in the
 * environment (deploy/kubernetes/deployment.yaml sets POD_NAME,
 * POD_NAMESPACE and NODE_NAME), plus echod's version. Read once at start.
 */
import { hostname } from "node:os";
import { VERSION } from "../version.ts";

/** The environment variables the Downward API fills in, by placeholder. */
export const DOWNWARD_API_VARS = {
  pod: "POD_NAME",
  namespace: "POD_NAMESPACE",
  node: "NODE_NAME",
} as const;

export interface Identity {
  readonly hostname: string;
  /** Empty when the variable is unset (outside Kubernetes). */
  readonly pod: string;
  readonly namespace: string;
  readonly node: string;
  readonly version: string;
}

export function readIdentity(env: Readonly<Record<string, string | undefined>>): Identity {
  return Object.freeze({
    hostname: hostname(),
    pod: env[DOWNWARD_API_VARS.pod] ?? "",
    namespace: env[DOWNWARD_API_VARS.namespace] ?? "",
    node: env[DOWNWARD_API_VARS.node] ?? "",
    version: VERSION,
  });
}
