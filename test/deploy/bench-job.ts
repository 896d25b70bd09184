/**
 * deploy/kubernetes/bench-job.yaml as its pods see it: the Job, its
 * container, and each pod's arguments with Kubernetes' $(VAR) expansion.
 */
import { loadManifests } from "./manifests.ts";

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML, checked by their schema elsewhere
type Any = any;

const manifests = loadManifests();
export const job: Any = manifests.find((m) => m.file === "bench-job.yaml")?.object;
export const deployment: Any = manifests.find((m) => m.object.kind === "Deployment")?.object;
export const service: Any = manifests.find((m) => m.object.kind === "Service")?.object;
export const container = job.spec.template.spec.containers[0];
export const count: number = job.spec.completions;

/** The pod's arguments as Kubernetes expands them: $(NAME) from the container's environment. */
export function podArgs(index: number, env: Record<string, string>): string[] {
  const vars: Record<string, string> = {
    JOB_COMPLETION_INDEX: String(index),
    ...Object.fromEntries(container.env.map((e: Any) => [e.name, e.value])),
    ...env,
  };
  return container.args.map((a: string) =>
    a.replace(/\$\((\w+)\)/g, (whole, name: string) => vars[name] ?? whole),
  );
}
