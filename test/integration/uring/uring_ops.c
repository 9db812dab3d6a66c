/*
 * uring_ops: performs file deletions and renames through io_uring, so the recorder can capture the
 * URINGOP records the kernel writes for them (io_uring bypasses syscall audit rules).
 *
 * Usage: uring_ops [-C DIR] OP ARGS... [OP ARGS...]
 *   unlink PATH        IORING_OP_UNLINKAT (AT_FDCWD, flags 0)
 *   rmdir PATH         IORING_OP_UNLINKAT (AT_FDCWD, AT_REMOVEDIR)
 *   rename OLD NEW     IORING_OP_RENAMEAT (AT_FDCWD on both sides, flags 0)
 *   unlinkat DIR NAME  IORING_OP_UNLINKAT relative to an O_PATH dirfd on DIR
 * Paths are argv entries, never parsed by a shell. For each op one line is printed:
 *   {"op":"unlink","res":0,"errno":null}
 * Exit status is 0 when every op was submitted and completed (even with a negative res), 2 on setup errors.
 *
 * Built at run time by test/integration/recorder.ts: gcc -O2 -o uring_ops uring_ops.c -luring
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *errno_name(int e) {
  switch (e) {
  case ENOENT: return "ENOENT";
  case EACCES: return "EACCES";
  case EPERM: return "EPERM";
  case EBUSY: return "EBUSY";
  case EEXIST: return "EEXIST";
  case ENOTDIR: return "ENOTDIR";
  case EISDIR: return "EISDIR";
  case ENOTEMPTY: return "ENOTEMPTY";
  case EXDEV: return "EXDEV";
  case EINVAL: return "EINVAL";
  case EOPNOTSUPP: return "EOPNOTSUPP";
  default: return "E?";
  }
}

/* Submits one prepared SQE and waits for its completion; returns the CQE result. */
static int run_one(struct io_uring *ring) {
  struct io_uring_cqe *cqe;
  int r = io_uring_submit(ring);
  if (r < 0) return r;
  r = io_uring_wait_cqe(ring, &cqe);
  if (r < 0) return r;
  r = cqe->res;
  io_uring_cqe_seen(ring, cqe);
  return r;
}

static void report(const char *op, int res) {
  if (res < 0)
    printf("{\"op\":\"%s\",\"res\":%d,\"errno\":\"%s\"}\n", op, res, errno_name(-res));
  else
    printf("{\"op\":\"%s\",\"res\":%d,\"errno\":null}\n", op, res);
  fflush(stdout);
}

int main(int argc, char **argv) {
  struct io_uring ring;
  int i = 1;
  if (i + 1 < argc && strcmp(argv[i], "-C") == 0) {
    if (chdir(argv[i + 1]) != 0) { perror("chdir"); return 2; }
    i += 2;
  }
  int r = io_uring_queue_init(4, &ring, 0);
  if (r < 0) { fprintf(stderr, "io_uring_queue_init: %s\n", strerror(-r)); return 2; }
  while (i < argc) {
    const char *op = argv[i];
    struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);
    if (!sqe) { fprintf(stderr, "no sqe\n"); return 2; }
    if (strcmp(op, "unlink") == 0 && i + 1 < argc) {
      io_uring_prep_unlinkat(sqe, AT_FDCWD, argv[i + 1], 0);
      i += 2;
    } else if (strcmp(op, "rmdir") == 0 && i + 1 < argc) {
      io_uring_prep_unlinkat(sqe, AT_FDCWD, argv[i + 1], AT_REMOVEDIR);
      i += 2;
    } else if (strcmp(op, "rename") == 0 && i + 2 < argc) {
      io_uring_prep_renameat(sqe, AT_FDCWD, argv[i + 1], AT_FDCWD, argv[i + 2], 0);
      i += 3;
    } else if (strcmp(op, "unlinkat") == 0 && i + 2 < argc) {
      int dfd = open(argv[i + 1], O_PATH | O_DIRECTORY);
      if (dfd < 0) { perror("open dir"); return 2; }
      io_uring_prep_unlinkat(sqe, dfd, argv[i + 2], 0);
      r = run_one(&ring);
      close(dfd);
      report(op, r);
      i += 3;
      continue;
    } else {
      fprintf(stderr, "bad op or missing arguments: %s\n", op);
      return 2;
    }
    report(op, run_one(&ring));
  }
  io_uring_queue_exit(&ring);
  return 0;
}
