// Sandbox escape attempts: every one must fail, and the host file outside the
// mounts must stay untouched (the runner prints it after the run).
// The runner plants: /sandbox/traps/abs -> <host>/outside/secret (absolute),
// traps/rel -> ../../outside/secret, traps/out -> ../../outside, traps/slash -> /
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common.h"

int main(void) {
  struct stat st;
  TRY("open /sandbox/../outside/secret", open("/sandbox/../outside/secret", O_RDONLY));
  TRY("open /sandbox/sub/../../outside/secret", open("/sandbox/sub/../../outside/secret", O_RDONLY));
  TRY("open absolute symlink", open("/sandbox/traps/abs", O_RDONLY));
  TRY("open relative symlink leading out", open("/sandbox/traps/rel", O_RDONLY));
  TRY("open through a directory symlink leading out", open("/sandbox/traps/out/secret", O_RDONLY));
  TRY("open through a symlink to /", open("/sandbox/traps/slash/etc/passwd", O_RDONLY));
  TRY("truncate through a symlink", open("/sandbox/traps/rel", O_WRONLY | O_TRUNC));
  TRY("create outside", open("/sandbox/traps/out/new", O_CREAT | O_WRONLY, 0644));
  TRY("truncate()", truncate("/sandbox/traps/rel", 0));
  TRY("unlink outside", unlink("/sandbox/traps/out/secret"));
  TRY("rename from outside", rename("/sandbox/traps/out/secret", "/sandbox/stolen"));
  TRY("rename to outside", rename("/sandbox/hello.txt", "/sandbox/traps/out/planted"));
  TRY("hard link from outside", link("/sandbox/traps/out/secret", "/sandbox/stolen"));
  TRY("mkdir outside", mkdir("/sandbox/traps/out/newdir", 0755));
  TRY("rmdir the mount's parent", rmdir("/sandbox/.."));
  TRY("stat following a link out", stat("/sandbox/traps/rel", &st));
  TRY("lstat of the link itself", lstat("/sandbox/traps/rel", &st));
  TRY("stat ..", stat("/sandbox/..", &st));
  TRY("utimes through a link out", utimes("/sandbox/traps/rel", NULL));
  TRY("symlink to an absolute path", symlink("/etc/passwd", "/sandbox/newabs"));
  TRY("chdir out", chdir("/sandbox/traps/out"));
  DIR* d = opendir("/sandbox/..");
  REPORT("opendir /sandbox/..", d != NULL);
  TRY("open a path under no mount", open("/outside/secret", O_RDONLY));
  char buf[256];
  ssize_t n = readlink("/sandbox/traps/rel", buf, sizeof buf);
  printf("readlink of a link leading out (allowed, it is only text): %.*s\n", (int)(n > 0 ? n : 0), buf);
  // After all this, the sandbox still works.
  int fd = open("/sandbox/hello.txt", O_RDONLY);
  n = read(fd, buf, sizeof buf);
  printf("hello.txt: %.*s", (int)(n > 0 ? n : 0), buf);
  return 0;
}
