/*
 * The reference load generator: a single-threaded epoll client that keeps
 * PIPELINING messages in flight on each of CONNECTIONS connections (closed
 * loop), or sends at a fixed total RATE with at most PIPELINING in flight
 * (open loop, latency from each message's scheduled time), verifies every
 * echoed byte against what it sent, and prints one JSON line: msg/s, bytes/s
 * and latency percentiles in milliseconds, with the whole run's bytes sent
 * (taken by the kernel) and received, and `firstEcho`, the milliseconds from
 * its start to the first message echoed (with -w, a server's start-up). It calibrates echod-bench (the
 * harness ceiling) and drives the servers in `npm run bench:compare`.
 *
 * Usage: epoll-load HOST PORT CONNECTIONS SIZE PIPELINING DURATION WARMUP
 *                   [-r RATE] [-i INTERVAL] [-w WAIT]
 *   -r RATE      total messages/s, open loop (default 0: closed loop)
 *   -i INTERVAL  also print one JSON line every INTERVAL s from the start
 *   -w WAIT      retry refused connects for up to WAIT s (start-up runs)
 * Exit 0 when every byte matched, 1 on a mismatch or a connection error,
 * 2 on bad arguments.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SUB 64 /* sub-buckets per power of two: values within 1.6% */
#define BUCKETS (128 + 50 * SUB)
#define READ_SIZE (256 * 1024)

struct hist { uint64_t count, max, n[BUCKETS]; };
struct conn {
  int fd, idx, open;
  uint64_t sent, received_bytes; /* messages sent; bytes echoed back and checked */
  uint64_t *stamps;             /* ring of send (or scheduled) times of messages in flight */
  int head, inflight;
  char *out;
  size_t out_start, out_end;
  int want_out;
};

static unsigned char *table;
static size_t size;
static int pipelining, epfd;
static uint64_t mismatches, errors;
static struct hist total, interval;
static int measuring, intervals;
static uint64_t launched, first_echo; /* when main began; when the first message came back */

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int bucket(uint64_t v) {
  if (v < 128) return (int)v;
  int e = 63 - __builtin_clzll(v);
  return 128 + (e - 7) * SUB + (int)((v >> (e - 6)) & (SUB - 1));
}

static uint64_t bucket_value(int b) {
  if (b < 128) return (uint64_t)b;
  int e = (b - 128) / SUB + 7;
  uint64_t lo = ((uint64_t)SUB + (uint64_t)((b - 128) % SUB)) << (e - 6);
  return lo + ((1ull << (e - 6)) >> 1); /* the middle of the bucket */
}

static void record(struct hist *h, uint64_t v) {
  int b = bucket(v);
  if (b >= BUCKETS) b = BUCKETS - 1;
  h->n[b]++;
  h->count++;
  if (v > h->max) h->max = v;
}

static double percentile_ms(const struct hist *h, double p) {
  if (h->count == 0) return 0;
  uint64_t want = (uint64_t)ceil(p / 100.0 * (double)h->count), seen = 0;
  if (want == 0) want = 1;
  for (int b = 0; b < BUCKETS; b++) {
    seen += h->n[b];
    if (seen >= want) {
      uint64_t v = bucket_value(b);
      return (double)(v < h->max ? v : h->max) / 1e6;
    }
  }
  return (double)h->max / 1e6;
}

/* Message m of connection c is a slice of `table` starting at this offset. */
static size_t slice(const struct conn *c, uint64_t m) { return (size_t)((m * 13 + (uint64_t)c->idx * 7) & 255); }

static void set_out(struct conn *c, int on) {
  if (c->want_out == on) return;
  c->want_out = on;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void fail_conn(struct conn *c) {
  if (!c->open) return;
  c->open = 0;
  errors++;
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
}

static void flush(struct conn *c) {
  while (c->out_start < c->out_end) {
    ssize_t n = send(c->fd, c->out + c->out_start, c->out_end - c->out_start, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) { set_out(c, 1); return; }
      fail_conn(c);
      return;
    }
    c->out_start += (size_t)n;
  }
  c->out_start = c->out_end = 0;
  set_out(c, 0);
}

/* Queues the next message; the caller flushes. At most `pipelining` are in flight, so `out` never overflows. */
static void enqueue(struct conn *c, uint64_t stamp) {
  if (c->out_start > 0 && c->out_start == c->out_end) c->out_start = c->out_end = 0;
  if (c->out_end + size > (size_t)pipelining * size) {
    memmove(c->out, c->out + c->out_start, c->out_end - c->out_start);
    c->out_end -= c->out_start;
    c->out_start = 0;
  }
  memcpy(c->out + c->out_end, table + slice(c, c->sent), size);
  c->out_end += size;
  c->stamps[(c->head + c->inflight) % pipelining] = stamp;
  c->inflight++;
  c->sent++;
}

static void on_readable(struct conn *c, unsigned char *buf, int closed_loop) {
  ssize_t n = recv(c->fd, buf, READ_SIZE, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) { fail_conn(c); return; }
  uint64_t now = now_ns();
  unsigned char *p = buf;
  while (n > 0) {
    uint64_t m = c->received_bytes / size;
    size_t i = (size_t)(c->received_bytes % size), k = size - i;
    if (m >= c->sent) { mismatches++; fail_conn(c); return; } /* more bytes than were sent */
    if (k > (size_t)n) k = (size_t)n;
    if (memcmp(p, table + slice(c, m) + i, k) != 0) { mismatches++; fail_conn(c); return; }
    p += k;
    n -= (ssize_t)k;
    c->received_bytes += k;
    if (i + k == size) {
      uint64_t latency = now - c->stamps[c->head];
      c->head = (c->head + 1) % pipelining;
      c->inflight--;
      if (first_echo == 0) first_echo = now;
      if (measuring) record(&total, latency);
      if (intervals) record(&interval, latency);
      if (closed_loop) enqueue(c, now);
    }
  }
  flush(c);
}

static int connect_one(struct sockaddr_in *addr, double wait_s) {
  uint64_t deadline = now_ns() + (uint64_t)(wait_s * 1e9);
  for (;;) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *)addr, sizeof *addr) == 0) return fd;
    int e = errno;
    close(fd);
    if (e != ECONNREFUSED || now_ns() >= deadline) return -1;
    usleep(1000);
  }
}

static void print_interval(double at, double seconds) {
  printf("{\"second\":%.3f,\"messages\":%llu,\"messagesPerSecond\":%.1f,\"p99\":%.3f,\"max\":%.3f}\n", at,
         (unsigned long long)interval.count, (double)interval.count / seconds, percentile_ms(&interval, 99),
         (double)interval.max / 1e6);
  fflush(stdout);
  memset(&interval, 0, sizeof interval);
}

int main(int argc, char **argv) {
  launched = now_ns();
  double rate = 0, every = 0, wait_s = 0;
  for (int o; (o = getopt(argc, argv, "r:i:w:")) != -1;) {
    if (o == 'r') rate = atof(optarg);
    else if (o == 'i') every = atof(optarg);
    else if (o == 'w') wait_s = atof(optarg);
    else return 2;
  }
  if (argc - optind != 7) {
    fprintf(stderr, "usage: epoll-load HOST PORT CONNECTIONS SIZE PIPELINING DURATION WARMUP [-r RATE] [-i INTERVAL] [-w WAIT]\n");
    return 2;
  }
  char **a = argv + optind;
  int port = atoi(a[1]), conns = atoi(a[2]);
  size = (size_t)atol(a[3]);
  pipelining = atoi(a[4]);
  double duration = atof(a[5]), warmup = atof(a[6]);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, a[0], &addr.sin_addr) != 1) { fprintf(stderr, "epoll-load: bad HOST %s\n", a[0]); return 2; }
  if (port <= 0 || port > 65535) { fprintf(stderr, "epoll-load: bad PORT %s\n", a[1]); return 2; }
  if (conns < 1) { fprintf(stderr, "epoll-load: bad CONNECTIONS %s\n", a[2]); return 2; }
  if (size < 1 || size > 16 * 1024 * 1024) { fprintf(stderr, "epoll-load: bad SIZE %s\n", a[3]); return 2; }
  if (pipelining < 1) { fprintf(stderr, "epoll-load: bad PIPELINING %s\n", a[4]); return 2; }
  if (!(duration > 0) || warmup < 0 || rate < 0 || every < 0 || wait_s < 0) {
    fprintf(stderr, "epoll-load: bad DURATION, WARMUP, -r, -i or -w\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  table = malloc(size + 256);
  for (size_t i = 0; i < size + 256; i++) table[i] = (unsigned char)(i * 7 + (i >> 8));
  unsigned char *buf = malloc(READ_SIZE);
  struct conn *cs = calloc((size_t)conns, sizeof *cs);
  epfd = epoll_create1(0);
  int one = 1, closed_loop = rate == 0;
  for (int i = 0; i < conns; i++) {
    struct conn *c = &cs[i];
    c->fd = connect_one(&addr, i == 0 ? wait_s : 0);
    if (c->fd < 0) { fprintf(stderr, "epoll-load: connect %s:%d: %s\n", a[0], port, strerror(errno)); return 1; }
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
    c->idx = i;
    c->open = 1;
    c->stamps = malloc(sizeof(uint64_t) * (size_t)pipelining);
    c->out = malloc(size * (size_t)pipelining);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
  }
  uint64_t start = now_ns(), measure_at = start + (uint64_t)(warmup * 1e9);
  uint64_t end = measure_at + (uint64_t)(duration * 1e9), next_interval = start + (uint64_t)(every * 1e9);
  uint64_t last_interval = start, base_bytes = 0;
  intervals = every > 0;
  measuring = warmup == 0;
  double per_conn = rate / conns;
  if (closed_loop)
    for (int i = 0; i < conns; i++) {
      for (int k = 0; k < pipelining; k++) enqueue(&cs[i], start);
      flush(&cs[i]);
    }
  struct epoll_event events[256];
  for (;;) {
    uint64_t now = now_ns();
    if (!measuring && now >= measure_at) {
      measuring = 1;
      memset(&total, 0, sizeof total);
      for (int i = 0; i < conns; i++) base_bytes += cs[i].received_bytes;
    }
    if (intervals && now >= next_interval) {
      print_interval((double)(now - start) / 1e9, (double)(now - last_interval) / 1e9);
      last_interval = now;
      next_interval += (uint64_t)(every * 1e9);
    }
    if (now >= end) break;
    uint64_t wake = now + 10000000u; /* closed loop: wake every 10 ms for the clock */
    if (!closed_loop) {
      /* Open loop: message s of connection i is due at (s + 1 - i/conns) / per_conn s from the start. */
      for (int i = 0; i < conns; i++) {
        struct conn *c = &cs[i];
        if (!c->open) continue;
        double offset = (double)i / conns;
        uint64_t due = start + (uint64_t)(((double)c->sent + 1 - offset) / per_conn * 1e9);
        int queued = 0;
        while (due <= now && c->inflight < pipelining) {
          enqueue(c, due);
          queued = 1;
          due = start + (uint64_t)(((double)c->sent + 1 - offset) / per_conn * 1e9);
        }
        if (queued) flush(c);
        if (c->inflight < pipelining && due < wake) wake = due;
      }
    }
    if (wake > end) wake = end;
    if (intervals && wake > next_interval) wake = next_interval;
    struct timespec timeout = {.tv_sec = 0, .tv_nsec = wake > now ? (long)(wake - now) : 0};
    if (timeout.tv_nsec >= 1000000000L) timeout = (struct timespec){.tv_sec = 0, .tv_nsec = 999999999L};
    int n = epoll_pwait2(epfd, events, 256, &timeout, NULL);
    for (int k = 0; k < n; k++) {
      struct conn *c = events[k].data.ptr;
      if (!c->open) continue;
      if (events[k].events & EPOLLOUT) flush(c);
      if (c->open && (events[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) on_readable(c, buf, closed_loop);
    }
  }
  uint64_t bytes = 0, sent_bytes = 0;
  for (int i = 0; i < conns; i++) {
    bytes += cs[i].received_bytes;
    sent_bytes += cs[i].sent * size - (cs[i].out_end - cs[i].out_start);
  }
  double seconds = (double)(end - measure_at) / 1e9;
  uint64_t msgs = total.count;
  printf("{\"host\":\"%s\",\"port\":%d,\"connections\":%d,\"size\":%zu,\"pipelining\":%d,\"rate\":%.0f,"
         "\"duration\":%.3f,\"messages\":%llu,\"messagesPerSecond\":%.1f,\"bytesPerSecond\":%.1f,"
         "\"latency\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p99_9\":%.3f,\"max\":%.3f},"
         "\"firstEcho\":%.3f,\"sentBytes\":%llu,\"receivedBytes\":%llu,\"mismatches\":%llu,\"errors\":%llu}\n",
         a[0], port, conns, size, pipelining, rate, seconds, (unsigned long long)msgs, (double)msgs / seconds,
         (double)(bytes - base_bytes) / seconds, percentile_ms(&total, 50), percentile_ms(&total, 90),
         percentile_ms(&total, 99), percentile_ms(&total, 99.9), (double)total.max / 1e6,
         first_echo ? (double)(first_echo - launched) / 1e6 : -1.0, (unsigned long long)sent_bytes,
         (unsigned long long)bytes, (unsigned long long)mismatches,
         (unsigned long long)errors);
  return mismatches || errors ? 1 : 0;
}
