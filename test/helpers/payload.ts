/** Payloads for echo tests and the digest that says they came back whole. */
import { createHash, randomBytes } from "node:crypto";

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function randomPayload(size: number): Buffer {
  return randomBytes(size);
}
