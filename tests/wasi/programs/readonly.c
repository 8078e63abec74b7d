// A read-only mount (/ro): reading works, every change fails with EROFS.
// REQUIRES: read-only mounts
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"

int main(void) {
  char buf[64];
  int fd = open("/ro/data.txt", O_RDONLY);
  REPORT("open for reading", fd >= 0);
  ssize_t n = read(fd, buf, sizeof buf);
  printf("data.txt: %.*s", (int)(n > 0 ? n : 0), buf);
  close(fd);
  struct stat st;
  TRY("stat", stat("/ro/data.txt", &st));
  DIR* d = opendir("/ro");
  REPORT("opendir", d != NULL);
  if (d) closedir(d);
  TRY("open for writing", open("/ro/data.txt", O_WRONLY));
  TRY("open for reading and writing", open("/ro/data.txt", O_RDWR));
  TRY("create", open("/ro/new.txt", O_CREAT | O_WRONLY, 0644));
  TRY("truncate on open", open("/ro/data.txt", O_RDONLY | O_TRUNC));
  TRY("truncate()", truncate("/ro/data.txt", 0));
  TRY("unlink", unlink("/ro/data.txt"));
  TRY("mkdir", mkdir("/ro/dir", 0755));
  TRY("rmdir", rmdir("/ro/inner"));
  TRY("rename inside", rename("/ro/data.txt", "/ro/moved.txt"));
  TRY("rename out", rename("/ro/data.txt", "/sandbox/moved.txt"));
  TRY("rename in", rename("/sandbox/hello.txt", "/ro/hello.txt"));
  TRY("symlink", symlink("data.txt", "/ro/link"));
  TRY("hard link", link("/ro/data.txt", "/ro/hard"));
  TRY("utimes", utimes("/ro/data.txt", NULL));
  fd = open("/ro/data.txt", O_RDONLY);
  n = read(fd, buf, sizeof buf);
  printf("data.txt still: %.*s", (int)(n > 0 ? n : 0), buf);
  return 0;
}
