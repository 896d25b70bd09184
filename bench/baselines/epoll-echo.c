/*
 * A single-threaded, level-triggered epoll TCP echo server: the practical
 * floor for one core, used by `npm run bench:compare` as a baseline.
 * Non-blocking sockets; what a write cannot take waits in a per-connection
 * buffer, reading from that connection stops, and EPOLLOUT resumes it, so
 * memory stays bounded whatever the client does.
 *
 * Usage: epoll-echo PORT [HOST]   (prints "listening PORT" once bound)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* Large enough that a 64 KiB message moves in one recv/send pair (echod reads up to 512 KiB). */
#define BUF_SIZE (256 * 1024)
#define MAX_EVENTS 256

struct conn {
  int fd;
  size_t start; /* first unsent byte in buf */
  size_t end;   /* one past the last unsent byte */
  char buf[BUF_SIZE];
};

static int epfd;

static void close_conn(struct conn *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c);
}

static void set_events(struct conn *c, uint32_t events) {
  struct epoll_event ev = {.events = events, .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends what is buffered; returns 0 when the buffer is empty, 1 if some is left, -1 on error. */
static int flush_conn(struct conn *c) {
  while (c->start < c->end) {
    ssize_t n = send(c->fd, c->buf + c->start, c->end - c->start, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return 1;
      if (errno == EINTR) continue;
      return -1;
    }
    c->start += (size_t)n;
  }
  c->start = c->end = 0;
  return 0;
}

static void on_readable(struct conn *c) {
  for (;;) {
    ssize_t n = recv(c->fd, c->buf, BUF_SIZE, 0);
    if (n == 0) { close_conn(c); return; }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      close_conn(c);
      return;
    }
    c->start = 0;
    c->end = (size_t)n;
    int left = flush_conn(c);
    if (left < 0) { close_conn(c); return; }
    if (left > 0) { set_events(c, EPOLLOUT); return; } /* stop reading until drained */
  }
}

static void on_writable(struct conn *c) {
  int left = flush_conn(c);
  if (left < 0) { close_conn(c); return; }
  if (left == 0) { set_events(c, EPOLLIN); on_readable(c); }
}

int main(int argc, char **argv) {
  if (argc < 2) { fprintf(stderr, "usage: epoll-echo PORT [HOST]\n"); return 2; }
  signal(SIGPIPE, SIG_IGN);
  int port = atoi(argv[1]);
  const char *host = argc > 2 ? argv[2] : "127.0.0.1";
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) { fprintf(stderr, "bad host %s\n", host); return 2; }
  if (bind(lfd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(lfd, 4096) < 0) {
    perror("listen");
    return 1;
  }
  socklen_t len = sizeof addr;
  getsockname(lfd, (struct sockaddr *)&addr, &len);
  printf("listening %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  epfd = epoll_create1(0);
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev);
  struct epoll_event events[MAX_EVENTS];
  for (;;) {
    int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
    for (int i = 0; i < n; i++) {
      struct conn *c = events[i].data.ptr;
      if (c == NULL) {
        for (;;) {
          int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *nc = malloc(sizeof *nc);
          if (nc == NULL) { close(fd); continue; }
          nc->fd = fd;
          nc->start = nc->end = 0;
          struct epoll_event ev = {.events = EPOLLIN, .data.ptr = nc};
          epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
        }
      } else if (events[i].events & EPOLLOUT) {
        on_writable(c);
      } else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        on_readable(c);
      }
    }
  }
}
