// run_golden.sh's probe: does the runtime mount "--dir HOST::/p:ro" read-only?
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

int main(void) {
  int fd = open("/p/probe", O_CREAT | O_WRONLY, 0644);
  puts(fd < 0 && errno == EROFS ? "read-only" : "writable or missing");
  return 0;
}
