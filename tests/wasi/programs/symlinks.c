// Symbolic and hard links inside the sandbox: create, read, follow, lstat,
// dangling links, loops, and nlink counts.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static void cat(const char* path) {
  char buf[64] = {0};
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("cat %s: %s\n", path, errname(errno));
    return;
  }
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  printf("cat %s: \"%.*s\"\n", path, (int)n, buf);
}

int main(void) {
  TRY("symlink link -> hello.txt", symlink("hello.txt", "/sandbox/link"));
  TRY("symlink again", symlink("hello.txt", "/sandbox/link"));
  char buf[64] = {0};
  ssize_t n = readlink("/sandbox/link", buf, sizeof buf);
  printf("readlink=%zd \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
  n = readlink("/sandbox/link", buf, 4);
  printf("readlink into 4 bytes=%zd \"%.4s\"\n", n, buf);
  TRY("readlink of a file", (int)readlink("/sandbox/hello.txt", buf, sizeof buf));
  cat("/sandbox/link");
  struct stat st;
  TRY("lstat link", lstat("/sandbox/link", &st));
  printf("lstat: symlink=%d\n", S_ISLNK(st.st_mode));
  TRY("stat link", stat("/sandbox/link", &st));
  printf("stat: regular=%d size=%lld\n", S_ISREG(st.st_mode), (long long)st.st_size);
  TRY("open O_NOFOLLOW", open("/sandbox/link", O_RDONLY | O_NOFOLLOW));

  TRY("symlink sub/up -> ../hello.txt", symlink("../hello.txt", "/sandbox/sub/up"));
  cat("/sandbox/sub/up");
  TRY("symlink dirlink -> sub", symlink("sub", "/sandbox/dirlink"));
  cat("/sandbox/dirlink/up");
  TRY("stat dirlink/", stat("/sandbox/dirlink/", &st));
  printf("dirlink/ is a directory: %d\n", S_ISDIR(st.st_mode));

  TRY("symlink dangling -> nowhere.txt", symlink("nowhere.txt", "/sandbox/dangling"));
  cat("/sandbox/dangling");
  TRY("lstat dangling", lstat("/sandbox/dangling", &st));
  int fd = open("/sandbox/dangling", O_CREAT | O_WRONLY, 0644);
  REPORT("create through dangling link", fd >= 0);
  if (fd >= 0) write(fd, "made", 4), close(fd);
  cat("/sandbox/nowhere.txt");

  TRY("symlink loop1 -> loop2", symlink("loop2", "/sandbox/loop1"));
  TRY("symlink loop2 -> loop1", symlink("loop1", "/sandbox/loop2"));
  cat("/sandbox/loop1");

  TRY("link hard -> hello.txt", link("/sandbox/hello.txt", "/sandbox/hard"));
  TRY("stat hello.txt", stat("/sandbox/hello.txt", &st));
  printf("nlink=%d\n", (int)st.st_nlink);
  cat("/sandbox/hard");
  TRY("link onto existing", link("/sandbox/hello.txt", "/sandbox/hard"));
  TRY("unlink hard", unlink("/sandbox/hard"));
  TRY("unlink link", unlink("/sandbox/link"));
  TRY("stat hello.txt after unlinking the link", stat("/sandbox/hello.txt", &st));
  TRY("rename a symlink", rename("/sandbox/dirlink", "/sandbox/dirlink2"));
  TRY("readlink renamed", (int)readlink("/sandbox/dirlink2", buf, sizeof buf));
  return 0;
}
