/**
 * Reads the repository's Dockerfile with dockerfile-ast (the parser behind
 * the Docker language server) into a plain description of each stage: base
 * image with build arguments expanded, and the instructions a container run
 * depends on (USER, EXPOSE, ENV, WORKDIR, COPY, HEALTHCHECK, ENTRYPOINT,
 * CMD...). The deploy tests check invariants on it and run its commands.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DockerfileParser, type Instruction } from "dockerfile-ast";

export const ROOT = resolve(import.meta.dir, "../..");
export const DOCKERFILE = resolve(ROOT, "Dockerfile");

export interface Copy {
  readonly from: string | null;
  readonly sources: readonly string[];
  readonly dest: string;
}

export interface Healthcheck {
  readonly flags: Readonly<Record<string, string>>;
  /** The exec-form command, or null when the shell form (or NONE) is used. */
  readonly command: readonly string[] | null;
}

export interface Stage {
  readonly name: string | null;
  /** FROM's image with the global ARG defaults substituted. */
  readonly image: string;
  readonly run: readonly string[];
  readonly copies: readonly Copy[];
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly workdir: string | null;
  readonly user: string | null;
  readonly expose: readonly string[];
  readonly stopSignal: string | null;
  readonly healthcheck: Healthcheck | null;
  /** Exec form only; null when absent. A shell form fails the parse (see below). */
  readonly entrypoint: readonly string[] | null;
  readonly cmd: readonly string[] | null;
}

export interface DockerfileSpec {
  readonly text: string;
  readonly args: Readonly<Record<string, string>>;
  readonly stages: readonly Stage[];
}

export function readDockerfile(path = DOCKERFILE): DockerfileSpec {
  const text = readFileSync(path, "utf8");
  const dockerfile = DockerfileParser.parse(text);
  const args: Record<string, string> = {};
  for (const arg of dockerfile.getInitialARGs()) {
    const property = arg.getProperty();
    if (property) args[property.getName()] = property.getValue() ?? "";
  }
  const expand = (value: string) =>
    value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_m, a: string | undefined, b: string | undefined) => {
      const name = a ?? b ?? "";
      const found = args[name];
      if (found === undefined) throw new Error(`Dockerfile: FROM uses undefined ARG ${name}`);
      return found;
    });

  const stages: Stage[] = [];
  let current: ReturnType<typeof newStage> | null = null;
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    if (keyword === "FROM") {
      const words = instruction.getArguments().map((a) => a.getValue());
      const asIndex = words.findIndex((w) => w.toUpperCase() === "AS");
      current = newStage(
        expand(words[0] ?? ""),
        asIndex >= 0 ? (words[asIndex + 1] ?? null) : null,
      );
      stages.push(current.stage);
      continue;
    }
    if (!current) continue; // ARGs before the first FROM were read above
    current.add(keyword, instruction);
  }
  return { text, args, stages };
}

/** The last stage: what `docker build` produces. */
export function finalStage(spec: DockerfileSpec): Stage {
  const stage = spec.stages.at(-1);
  if (!stage) throw new Error("Dockerfile has no FROM");
  return stage;
}

function newStage(image: string, name: string | null) {
  const stage = {
    name,
    image,
    run: [] as string[],
    copies: [] as Copy[],
    env: {} as Record<string, string>,
    labels: {} as Record<string, string>,
    workdir: null as string | null,
    user: null as string | null,
    expose: [] as string[],
    stopSignal: null as string | null,
    healthcheck: null as Healthcheck | null,
    entrypoint: null as readonly string[] | null,
    cmd: null as readonly string[] | null,
  };
  const add = (keyword: string, instruction: Instruction) => {
    const words = instruction.getArguments().map((a) => a.getValue());
    switch (keyword) {
      case "RUN":
        stage.run.push(instruction.getRawArgumentsContent() ?? "");
        break;
      case "COPY": {
        const from = flagsOf(instruction).from ?? null;
        const paths = words.filter((w) => !w.startsWith("--"));
        stage.copies.push({ from, sources: paths.slice(0, -1), dest: paths.at(-1) ?? "" });
        break;
      }
      case "ENV":
      case "LABEL":
        for (const p of propertiesOf(instruction)) {
          (keyword === "ENV" ? stage.env : stage.labels)[p.name] = p.value;
        }
        break;
      case "WORKDIR":
        stage.workdir = words[0] ?? null;
        break;
      case "USER":
        stage.user = words[0] ?? null;
        break;
      case "EXPOSE":
        stage.expose.push(...words);
        break;
      case "STOPSIGNAL":
        stage.stopSignal = words[0] ?? null;
        break;
      case "HEALTHCHECK": {
        const raw = instruction.getRawArgumentsContent() ?? "";
        const exec = /(?:^|\s)CMD\s+(\[[\s\S]*\])\s*$/.exec(raw.replace(/\\\n/g, " "));
        stage.healthcheck = {
          flags: flagsOf(instruction),
          command: exec ? execForm(exec[1]) : null,
        };
        break;
      }
      case "ENTRYPOINT":
        stage.entrypoint = execForm(instruction.getRawArgumentsContent());
        break;
      case "CMD":
        stage.cmd = execForm(instruction.getRawArgumentsContent());
        break;
    }
  };
  return { stage: stage as Stage, add };
}

/** Parses the JSON exec form; throws on the shell form, which would put /bin/sh at PID 1. */
function execForm(raw: string | null | undefined): string[] {
  const text = (raw ?? "").trim();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`Dockerfile: ${JSON.stringify(text)} is not the exec (JSON array) form`);
  }
  if (!Array.isArray(parsed) || !parsed.every((w) => typeof w === "string")) {
    throw new Error(`Dockerfile: ${JSON.stringify(text)} is not a JSON array of strings`);
  }
  return parsed;
}

function flagsOf(instruction: Instruction): Record<string, string> {
  const flags: Record<string, string> = {};
  const withFlags = instruction as Instruction & {
    getFlags?: () => { getName(): string; getValue(): string | null }[];
  };
  for (const flag of withFlags.getFlags?.() ?? []) flags[flag.getName()] = flag.getValue() ?? "";
  return flags;
}

function propertiesOf(instruction: Instruction): { name: string; value: string }[] {
  const withProperties = instruction as Instruction & {
    getProperties?: () => { getName(): string; getValue(): string | null }[];
  };
  return (withProperties.getProperties?.() ?? []).map((p) => ({
    name: p.getName(),
    value: unquote(p.getValue() ?? ""),
  }));
}

function unquote(value: string): string {
  return /^".*"$/s.test(value) ? (JSON.parse(value) as string) : value;
}
