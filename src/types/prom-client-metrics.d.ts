/**
 * prom-client's individual default-metric modules have no type declarations
 * of their own; each registers its metrics on the given registry.
 */
declare module "prom-client/lib/metrics/*.js" {
  import type { Registry } from "prom-client";

  const register: (registry: Registry, config?: Record<string, unknown>) => void;
  export default register;
}
