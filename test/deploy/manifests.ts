/**
 * Loads deploy/kubernetes/: every YAML document of every file, the
 * kustomization, and a schema check for each object through the model
 * classes of kubernetes-models (the Kubernetes 1.27 OpenAPI schemas) and
 * @kubernetes-models/prometheus-operator (the ServiceMonitor and
 * PrometheusRule CRDs). Also parses Kubernetes quantities (250m, 768Mi).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  PrometheusRule,
  ServiceMonitor,
} from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Job } from "kubernetes-models/batch/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { Service } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";

export const K8S_DIR = resolve(import.meta.dir, "../../deploy/kubernetes");

export interface Manifest {
  readonly file: string;
  readonly object: Record<string, unknown> & { apiVersion: string; kind: string };
}

interface Validatable {
  validate(): void;
}

/** The kinds echod ships, with the model that validates each; anything else is an error. */
export const MODELS: Readonly<Record<string, new (data: never) => Validatable>> = {
  "apps/v1 Deployment": Deployment,
  "batch/v1 Job": Job,
  "v1 Service": Service,
  "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2 HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "monitoring.coreos.com/v1 ServiceMonitor": ServiceMonitor,
  "monitoring.coreos.com/v1 PrometheusRule": PrometheusRule,
};

/** The TypeScript interface of each kind, for the excess-property (unknown field) check. */
export const TYPES: Readonly<Record<string, { module: string; name: string }>> = {
  "apps/v1 Deployment": { module: "kubernetes-models/apps/v1/Deployment", name: "IDeployment" },
  "batch/v1 Job": { module: "kubernetes-models/batch/v1/Job", name: "IJob" },
  "v1 Service": { module: "kubernetes-models/v1/Service", name: "IService" },
  "policy/v1 PodDisruptionBudget": {
    module: "kubernetes-models/policy/v1/PodDisruptionBudget",
    name: "IPodDisruptionBudget",
  },
  "autoscaling/v2 HorizontalPodAutoscaler": {
    module: "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler",
    name: "IHorizontalPodAutoscaler",
  },
  "monitoring.coreos.com/v1 ServiceMonitor": {
    module: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor",
    name: "IServiceMonitor",
  },
  "monitoring.coreos.com/v1 PrometheusRule": {
    module: "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule",
    name: "IPrometheusRule",
  },
};

export function kindKey(object: { apiVersion: string; kind: string }): string {
  return `${object.apiVersion} ${object.kind}`;
}

/** Every document of every manifest file (not the kustomization). Throws on YAML errors. */
export function loadManifests(dir = K8S_DIR): Manifest[] {
  const manifests: Manifest[] = [];
  for (const file of manifestFiles(dir)) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), "utf8"))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]?.message}`);
      const object = doc.toJS() as Manifest["object"] | null;
      if (object !== null) manifests.push({ file, object });
    }
  }
  return manifests;
}

/** Manifests applied on their own, not by `kubectl apply -k` (the load-test Job must not start with echod). */
export const STANDALONE_MANIFESTS: readonly string[] = ["bench-job.yaml"];

export function manifestFiles(dir = K8S_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml")
    .sort();
}

export function loadKustomization(dir = K8S_DIR): {
  resources: string[];
  images?: { name: string; newName?: string; newTag?: string }[];
} {
  const [doc] = parseAllDocuments(readFileSync(join(dir, "kustomization.yaml"), "utf8"));
  return doc?.toJS();
}

/** Validates against the API schema; returns the error text, or null when valid. */
export function schemaErrors(object: Manifest["object"]): string | null {
  const Model = MODELS[kindKey(object)];
  if (!Model) return `no schema for ${kindKey(object)} (not a kind echod ships)`;
  try {
    new Model(object as never).validate();
    return null;
  } catch (error) {
    return String(error);
  }
}

const BINARY: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30 };
const DECIMAL: Readonly<Record<string, number>> = { m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9 };

/** A Kubernetes resource quantity as a number (bytes, or cores). */
export function quantity(value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|m|k|M|G|)$/.exec(String(value));
  if (!match) throw new Error(`not a quantity: ${JSON.stringify(value)}`);
  const unit = match[2] ?? "";
  return Number(match[1]) * (BINARY[unit] ?? DECIMAL[unit] ?? Number.NaN);
}
