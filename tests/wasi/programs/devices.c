// /dev/null, /dev/zero and /dev/urandom, served by the runtime without a /dev mount.
// SKIP-NODE: Node's WASI has no /dev unless the host's /dev is mounted
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static int cmp(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

int main(void) {
  int fd = open("/dev/null", O_RDWR);
  REPORT("open /dev/null", fd >= 0);
  printf("write to null=%zd\n", write(fd, "hello", 5));
  char buf[64];
  printf("read from null=%zd\n", read(fd, buf, sizeof buf));
  close(fd);
  FILE* f = fopen("/dev/null", "w");
  REPORT("fopen /dev/null w", f != NULL);
  printf("fprintf to null=%d\n", fprintf(f, "discarded %d\n", 42));
  fclose(f);

  fd = open("/dev/zero", O_RDONLY);
  memset(buf, 0x55, sizeof buf);
  ssize_t n = read(fd, buf, 16);
  int zeros = 1;
  for (int i = 0; i < 16; ++i) zeros &= buf[i] == 0;
  printf("read from zero=%zd all zero=%d\n", n, zeros);
  close(fd);

  fd = open("/dev/urandom", O_RDONLY);
  unsigned char a[32] = {0}, b[32] = {0};
  printf("read from urandom=%zd %zd\n", read(fd, a, 32), read(fd, b, 32));
  printf("two reads differ=%d\n", memcmp(a, b, 32) != 0);
  close(fd);

  struct stat st;
  TRY("stat /dev/null", stat("/dev/null", &st));
  printf("/dev/null is a character device=%d\n", S_ISCHR(st.st_mode));
  TRY("stat /dev", stat("/dev", &st));
  printf("/dev is a directory=%d\n", S_ISDIR(st.st_mode));

  DIR* d = opendir("/dev");
  char* names[16];
  int count = 0;
  struct dirent* e;
  while (d && (e = readdir(d)) && count < 16) names[count++] = strdup(e->d_name);
  if (d) closedir(d);
  qsort(names, count, sizeof *names, cmp);
  printf("/dev:");
  for (int i = 0; i < count; ++i) printf(" %s", names[i]);
  printf("\n");

  TRY("open /dev/sda", open("/dev/sda", O_RDONLY));
  TRY("open /dev/../etc/passwd", open("/dev/../etc/passwd", O_RDONLY));
  TRY("unlink /dev/null", unlink("/dev/null"));
  TRY("create in /dev", open("/dev/new", O_CREAT | O_WRONLY, 0644));
  TRY("open /dev/null as a directory", open("/dev/null", O_RDONLY | O_DIRECTORY));
  return 0;
}
