/**
 * The load shapes every server is run on by `npm run bench:compare`: small
 * messages ping-pong and pipelined, larger messages, many connections, and
 * connection churn. Each becomes `echod-bench` flags.
 */
export interface Shape {
  readonly name: string;
  readonly connections: number;
  readonly size: number;
  readonly pipelining: number;
  readonly churn: boolean;
}

export const SHAPES: readonly Shape[] = [
  { name: "50x64B ping-pong", connections: 50, size: 64, pipelining: 1, churn: false },
  { name: "200x64B pipelined 16", connections: 200, size: 64, pipelining: 16, churn: false },
  { name: "50x4KiB pipelined 4", connections: 50, size: 4096, pipelining: 4, churn: false },
  { name: "8x64KiB pipelined 8", connections: 8, size: 65_536, pipelining: 8, churn: false },
  { name: "5000x64B ping-pong", connections: 5000, size: 64, pipelining: 1, churn: false },
  { name: "churn 50x64B", connections: 50, size: 64, pipelining: 1, churn: true },
];

export function shapeArgs(shape: Shape): string[] {
  const args = ["-c", String(shape.connections), "-s", String(shape.size)];
  return shape.churn ? [...args, "--churn"] : [...args, "-p", String(shape.pipelining)];
}
