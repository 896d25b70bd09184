/**
 * The load shapes every server is run on by `npm run bench:compare`: small
 * messages ping-pong and pipelined, larger messages and many connections.
 * Each becomes arguments of the reference generator (epoll-load.c) or
 * `echod-bench` flags. The generator keeps its connections open, so
 * connection churn is not a compare shape (`echod-bench --churn` measures it).
 */
export interface Shape {
  readonly name: string;
  readonly connections: number;
  readonly size: number;
  readonly pipelining: number;
}

export const SHAPES: readonly Shape[] = [
  { name: "50x64B ping-pong", connections: 50, size: 64, pipelining: 1 },
  { name: "200x64B pipelined 16", connections: 200, size: 64, pipelining: 16 },
  { name: "50x4KiB pipelined 4", connections: 50, size: 4096, pipelining: 4 },
  { name: "8x64KiB pipelined 8", connections: 8, size: 65_536, pipelining: 8 },
  { name: "5000x64B ping-pong", connections: 5000, size: 64, pipelining: 1 },
];

export function shapeArgs(shape: Shape): string[] {
  return [
    "-c",
    String(shape.connections),
    "-s",
    String(shape.size),
    "-p",
    String(shape.pipelining),
  ];
}
