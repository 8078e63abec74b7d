// Regular files: create, exclusive create, write, read, seek, append, pread/pwrite,
// truncate, stat, rename, unlink.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static void show(const char* path) {
  char buf[128] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("  %s: %s\n", path, errname(errno));
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  printf("  %s = \"%.*s\"\n", path, (int)n, buf);
}

int main(void) {
  int fd = open("/sandbox/f.txt", O_CREAT | O_EXCL | O_RDWR, 0644);
  REPORT("create f.txt", fd >= 0);
  TRY("write", (int)write(fd, "0123456789", 10));
  TRY("create again with O_EXCL", open("/sandbox/f.txt", O_CREAT | O_EXCL | O_WRONLY, 0644));
  printf("lseek(cur)=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  printf("lseek(set 3)=%lld\n", (long long)lseek(fd, 3, SEEK_SET));
  char buf[32] = {0};
  printf("read=%zd \"%.4s\"\n", read(fd, buf, 4), buf);
  printf("lseek(end -2)=%lld\n", (long long)lseek(fd, -2, SEEK_END));
  TRY("lseek(negative)", (int)lseek(fd, -100, SEEK_SET));
  TRY("pwrite AB at 1", (int)pwrite(fd, "AB", 2, 1));
  memset(buf, 0, sizeof buf);
  printf("pread at 0=%zd \"%s\"\n", pread(fd, buf, 5, 0), buf);
  printf("position after pread=%lld\n", (long long)lseek(fd, 0, SEEK_CUR));
  struct stat st;
  TRY("fstat", fstat(fd, &st));
  printf("size=%lld regular=%d nlink=%d\n", (long long)st.st_size, S_ISREG(st.st_mode), (int)st.st_nlink);
  TRY("ftruncate 4", ftruncate(fd, 4));
  TRY("fsync", fsync(fd));
  TRY("close", close(fd));
  TRY("close again", close(fd));
  show("/sandbox/f.txt");

  fd = open("/sandbox/f.txt", O_WRONLY | O_APPEND);
  TRY("append", (int)write(fd, "+end", 4));
  close(fd);
  show("/sandbox/f.txt");

  fd = open("/sandbox/f.txt", O_WRONLY | O_TRUNC);
  TRY("write after O_TRUNC", (int)write(fd, "new", 3));
  close(fd);
  show("/sandbox/f.txt");

  fd = open("/sandbox/f.txt", O_RDONLY);
  TRY("write to read-only fd", (int)write(fd, "x", 1));
  close(fd);
  fd = open("/sandbox/f.txt", O_WRONLY);
  TRY("read from write-only fd", (int)read(fd, buf, 1));
  close(fd);

  TRY("open missing", open("/sandbox/missing.txt", O_RDONLY));
  TRY("open file as directory", open("/sandbox/f.txt", O_RDONLY | O_DIRECTORY));
  TRY("open through a file", open("/sandbox/f.txt/x", O_RDONLY));
  TRY("open directory for writing", open("/sandbox/sub", O_WRONLY));
  TRY("stat existing", stat("/sandbox/hello.txt", &st));
  printf("hello.txt size=%lld\n", (long long)st.st_size);
  TRY("rename", rename("/sandbox/f.txt", "/sandbox/sub/g.txt"));
  show("/sandbox/sub/g.txt");
  TRY("rename missing", rename("/sandbox/f.txt", "/sandbox/h.txt"));
  TRY("unlink", unlink("/sandbox/sub/g.txt"));
  TRY("unlink again", unlink("/sandbox/sub/g.txt"));
  TRY("unlink a directory", unlink("/sandbox/sub"));

  // Big write and read back in pieces.
  fd = open("/sandbox/big.bin", O_CREAT | O_RDWR | O_TRUNC, 0644);
  static char big[100000];
  for (size_t i = 0; i < sizeof big; ++i) big[i] = (char)(i * 7);
  printf("write big=%zd\n", write(fd, big, sizeof big));
  lseek(fd, 0, SEEK_SET);
  long sum = 0;
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; ++i) sum += (unsigned char)buf[i];
  printf("checksum=%ld\n", sum);
  close(fd);
  TRY("unlink big", unlink("/sandbox/big.bin"));
  return 0;
}
