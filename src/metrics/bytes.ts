/** Byte and message metrics, by listener: what came in, went out, was dropped or is held now. */
import { type ListenerMetric, perListener, type Scrape } from "./collectors.ts";

// biome-ignore format: a table, one metric a row, its help text last
const BYTE_METRICS: readonly ListenerMetric[] = [
  { name: "echod_received_bytes_total", type: "counter", read: (s) => s.receivedBytes, udp: (u) => u.receivedBytes, help: "Bytes read from clients, by listener." },
  { name: "echod_sent_bytes_total", type: "counter", read: (s) => s.sentBytes, udp: (u) => u.sentBytes, help: "Bytes written back to clients, by listener." },
  { name: "echod_discarded_bytes_total", type: "counter", read: (s) => s.discardedBytes, help: "Bytes read and dropped, not echoed (after echod's FIN, after a fault or an over-size message, an incomplete last frame), by listener." },
  { name: "echod_buffered_bytes", type: "gauge", read: (s) => s.bufferedBytes, help: "Bytes held now for clients that read slower than they send (or delayed by a fault), by listener." },
  { name: "echod_backpressure_pauses_total", type: "counter", read: (s) => s.backpressurePauses, help: "Times echod stopped reading from a client because its queue passed --max-buffer, by listener." },
  { name: "echod_banner_bytes_total", type: "counter", read: (s) => s.bannerBytes, help: "Bytes of --banner written or queued (greetings and --whoami-line answers): also in echod_sent_bytes_total (or buffered), but not echo, by listener." },
  { name: "echod_memory_pauses_total", type: "counter", read: (s) => s.memoryPauses, help: "Times echod stopped reading from a client because the bytes queued daemon-wide passed --max-memory, by listener." },
  { name: "echod_messages_total", type: "counter", read: (s) => s.messages, help: "Framed messages echoed (--framing line or length-prefixed), by listener." },
];

export function registerByteMetrics(scrape: Scrape): void {
  for (const metric of BYTE_METRICS) perListener(scrape, metric);
}
