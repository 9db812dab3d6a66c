/*
 * uring_rule: adds, deletes or lists audit rules on filter list 7 (AUDIT_FILTER_URING_EXIT).
 * auditctl 3.0.9 rejects `-a io_uring,always`, but the kernel accepts such rules through a plain
 * netlink AUDIT_ADD_RULE message, which is all this tool sends.
 *
 * Usage:
 *   uring_rule add|del --key KEY [--dir PATH] [--watch PATH] [--exe PATH] [--op N]... [--all-ops]
 *   uring_rule list            one line per list-7 rule: "key=KEY fields=N"
 * Without --op/--all-ops the rule selects IORING_OP_RENAMEAT and IORING_OP_UNLINKAT.
 * A rule is deleted by sending the same fields, mask and key that added it.
 *
 * Built at run time by test/integration/recorder.ts: gcc -O2 -o uring_rule uring_rule.c
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BUF 8192

struct rule_buf {
  struct audit_rule_data r;
  char strings[MAX_BUF];
};

static void add_string_field(struct rule_buf *rb, __u32 field, const char *s) {
  size_t len = strlen(s);
  if (rb->r.field_count >= AUDIT_MAX_FIELDS || rb->r.buflen + len > MAX_BUF) {
    fprintf(stderr, "rule too large\n");
    exit(2);
  }
  __u32 i = rb->r.field_count++;
  rb->r.fields[i] = field;
  rb->r.fieldflags[i] = AUDIT_EQUAL;
  rb->r.values[i] = (__u32)len; /* string fields carry their length; the bytes go in buf, in field order */
  memcpy(rb->r.buf + rb->r.buflen, s, len);
  rb->r.buflen += (__u32)len;
}

/* Sends one request and returns 0 on ACK, or the negative errno the kernel answered. */
static int send_request(int fd, __u16 type, const void *data, size_t len, __u32 seq) {
  char msg[NLMSG_SPACE(sizeof(struct rule_buf))];
  struct nlmsghdr *nh = (struct nlmsghdr *)msg;
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
  memset(msg, 0, sizeof msg);
  nh->nlmsg_len = NLMSG_LENGTH(len);
  nh->nlmsg_type = type;
  nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  nh->nlmsg_seq = seq;
  memcpy(NLMSG_DATA(nh), data, len);
  if (sendto(fd, msg, nh->nlmsg_len, 0, (struct sockaddr *)&addr, sizeof addr) < 0) return -errno;
  return 0;
}

/* Reads replies until the ACK/error for seq; prints list-7 rules when listing. */
static int read_replies(int fd, __u32 seq, int listing) {
  static char buf[65536];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, (size_t)n); nh = NLMSG_NEXT(nh, n)) {
      if (nh->nlmsg_seq != seq) continue;
      if (nh->nlmsg_type == NLMSG_ERROR) {
        struct nlmsgerr *e = (struct nlmsgerr *)NLMSG_DATA(nh);
        if (e->error != 0 || !listing) return e->error;
        continue; /* the ACK of a list request precedes the rules */
      }
      if (nh->nlmsg_type == NLMSG_DONE) return 0;
      if (listing && nh->nlmsg_type == AUDIT_LIST_RULES) {
        struct audit_rule_data *r = (struct audit_rule_data *)NLMSG_DATA(nh);
        if ((r->flags & ~AUDIT_FILTER_PREPEND) != AUDIT_FILTER_URING_EXIT) continue;
        size_t off = 0;
        printf("list=7 fields=%u", r->field_count);
        for (__u32 i = 0; i < r->field_count; i++) {
          __u32 f = r->fields[i];
          if (f == AUDIT_FILTERKEY || f == AUDIT_DIR || f == AUDIT_WATCH || f == AUDIT_EXE) {
            const char *name = f == AUDIT_FILTERKEY ? "key" : f == AUDIT_DIR ? "dir" : f == AUDIT_WATCH ? "path" : "exe";
            printf(" %s=%.*s", name, (int)r->values[i], r->buf + off);
            off += r->values[i];
          } else {
            printf(" f%u=%u", f, r->values[i]);
          }
        }
        printf("\n");
      }
    }
  }
}

static int open_audit(void) {
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_AUDIT);
  if (fd < 0) {
    perror("socket(NETLINK_AUDIT)");
    exit(2);
  }
  return fd;
}

static void usage(void) {
  fprintf(stderr, "usage: uring_rule add|del --key KEY [--dir PATH] [--watch PATH] [--exe PATH] [--op N]... [--all-ops]\n"
                  "       uring_rule list\n");
  exit(2);
}

int main(int argc, char **argv) {
  if (argc < 2) usage();
  int fd = open_audit();
  __u32 seq = (__u32)getpid();
  if (strcmp(argv[1], "list") == 0) {
    int zero = 0;
    int r = send_request(fd, AUDIT_LIST_RULES, &zero, 0, seq);
    if (r == 0) r = read_replies(fd, seq, 1);
    if (r < 0) {
      fprintf(stderr, "list: %s\n", strerror(-r));
      return 1;
    }
    return 0;
  }
  int add = strcmp(argv[1], "add") == 0;
  if (!add && strcmp(argv[1], "del") != 0) usage();

  static struct rule_buf rb;
  const char *key = NULL, *dir = NULL, *watch = NULL, *exe = NULL;
  int ops[64], nops = 0, all = 0;
  for (int i = 2; i < argc; i++) {
    if (strcmp(argv[i], "--key") == 0 && i + 1 < argc) key = argv[++i];
    else if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc) dir = argv[++i];
    else if (strcmp(argv[i], "--watch") == 0 && i + 1 < argc) watch = argv[++i];
    else if (strcmp(argv[i], "--exe") == 0 && i + 1 < argc) exe = argv[++i];
    else if (strcmp(argv[i], "--op") == 0 && i + 1 < argc && nops < 64) ops[nops++] = atoi(argv[++i]);
    else if (strcmp(argv[i], "--all-ops") == 0) all = 1;
    else usage();
  }
  if (!key) usage();

  rb.r.flags = AUDIT_FILTER_URING_EXIT;
  rb.r.action = AUDIT_ALWAYS;
  if (all) {
    for (int i = 0; i < AUDIT_BITMASK_SIZE; i++) rb.r.mask[i] = ~0U;
  } else {
    if (nops == 0) {
      ops[nops++] = IORING_OP_RENAMEAT;
      ops[nops++] = IORING_OP_UNLINKAT;
    }
    for (int i = 0; i < nops; i++) rb.r.mask[AUDIT_WORD(ops[i])] |= AUDIT_BIT(ops[i]);
  }
  /* Field order matters for deletion: the kernel compares rules field by field. */
  if (dir) add_string_field(&rb, AUDIT_DIR, dir);
  if (watch) add_string_field(&rb, AUDIT_WATCH, watch);
  if (exe) add_string_field(&rb, AUDIT_EXE, exe);
  add_string_field(&rb, AUDIT_FILTERKEY, key);

  int r = send_request(fd, add ? AUDIT_ADD_RULE : AUDIT_DEL_RULE, &rb, sizeof rb.r + rb.r.buflen, seq);
  if (r == 0) r = read_replies(fd, seq, 0);
  if (r < 0) {
    fprintf(stderr, "%s: %s\n", add ? "add" : "del", strerror(-r));
    return 1;
  }
  return 0;
}
