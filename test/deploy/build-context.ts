/**
 * The build context as Docker sends it: the checkout's files that survive
 * .dockerignore (@balena/dockerignore implements Docker's rules), so a test
 * can check that the image gets what it needs and nothing else.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import ignore from "@balena/dockerignore";
import { ROOT } from "./dockerfile-spec.ts";

/** Which build-context paths survive .dockerignore, relative to the context. */
export function contextFiles(context = ROOT): string[] {
  const rules = existsSync(join(context, ".dockerignore"))
    ? readFileSync(join(context, ".dockerignore"), "utf8")
    : "";
  const ig = ignore().add(rules.split("\n"));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(context, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.name === ".git" && !dir) continue; // never sent: huge and not part of the tree
      if (entry.isDirectory()) walk(rel);
      else if (!ig.ignores(rel)) files.push(rel);
    }
  };
  walk("");
  return files.sort();
}
