/* Fault injection for the end-to-end tests (LD_PRELOAD).  RSIM_FAIL selects
 * what fails, for files whose path ends in RSIM_FAIL_SUFFIX (default
 * ".h5.tmp", the result file being assembled):
 *   fsync   fsync() returns EIO
 *   dirsync fsync() of a folder other than a checkpoint folder (the output's
 *           folder, after the rename) returns EIO
 *   close   close() closes, then returns EIO
 *   rename  rename() of such a file returns EIO
 *   lockrace  the lock file is unlinked between rsim's open and its flock,
 *           once, as when another run ends at that moment
 *   hide    checkpoint segments of rank 1 are renamed to lost-<name>, as if
 *           rank 0 could not see them (a folder that is not shared) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int want(const char *op) {
  const char *f = getenv("RSIM_FAIL");
  return f && strcmp(f, op) == 0;
}

static int ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int target_path(const char *p) {
  const char *suffix = getenv("RSIM_FAIL_SUFFIX");
  return ends_with(p, suffix ? suffix : ".h5.tmp");
}

static int target_fd(int fd) {
  char link[64], path[PATH_MAX];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 0) return 0;
  path[n] = '\0';
  return target_path(path);
}

/* A folder that is not a checkpoint folder. */
static int output_folder_fd(int fd) {
  struct stat st;
  char link[64], path[PATH_MAX];
  if (fstat(fd, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, path, sizeof path - 1);
  if (n < 0) return 0;
  path[n] = '\0';
  return !ends_with(path, ".ckpt");
}

int fsync(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  if ((want("fsync") && target_fd(fd)) || (want("dirsync") && output_folder_fd(fd))) {
    errno = EIO;
    return -1;
  }
  return real(fd);
}

int close(int fd) {
  static int (*real)(int);
  if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "close");
  if (want("close") && target_fd(fd)) {
    real(fd);
    errno = EIO;
    return -1;
  }
  return real(fd);
}

int flock(int fd, int op) {
  static int (*real)(int, int);
  static int done;
  if (!real) real = (int (*)(int, int))dlsym(RTLD_NEXT, "flock");
  if (want("lockrace") && !done) {
    char link[64], path[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, path, sizeof path - 1);
    if (n > 0) {
      path[n] = '\0';
      if (ends_with(path, ".lock")) {
        done = 1;
        unlink(path);
      }
    }
  }
  return real(fd, op);
}

int rename(const char *from, const char *to) {
  static int (*real)(const char *, const char *);
  if (!real) real = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
  if (want("rename") && target_path(from)) {
    errno = EIO;
    return -1;
  }
  if (want("hide") && strstr(to, "-r00001-") && ends_with(to, ".rsb")) {
    char hidden[PATH_MAX];
    const char *slash = strrchr(to, '/');
    snprintf(hidden, sizeof hidden, "%.*slost-%s", slash ? (int)(slash - to + 1) : 0, to, slash ? slash + 1 : to);
    return real(from, hidden);
  }
  return real(from, to);
}
