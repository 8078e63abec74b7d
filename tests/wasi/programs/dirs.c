// Directories: mkdir, nested mkdir, listing (with "." and ".."), telldir/seekdir
// cookies, rmdir of non-empty and empty directories, rename of a directory.
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static int cmp(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static void list(const char* path) {
  DIR* d = opendir(path);
  if (!d) {
    printf("opendir %s: %s\n", path, errname(errno));
    return;
  }
  char* names[64];
  int n = 0;
  struct dirent* e;
  while ((e = readdir(d)) && n < 64) {
    char* s = malloc(300);
    snprintf(s, 300, "%s%s", e->d_name, e->d_type == DT_DIR ? "/" : e->d_type == DT_LNK ? "@" : "");
    names[n++] = s;
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("%s:", path);
  for (int i = 0; i < n; ++i) printf(" %s", names[i]), free(names[i]);
  printf("\n");
}

int main(void) {
  TRY("mkdir d", mkdir("/sandbox/d", 0755));
  TRY("mkdir d again", mkdir("/sandbox/d", 0755));
  TRY("mkdir d/e", mkdir("/sandbox/d/e", 0755));
  TRY("mkdir missing/x", mkdir("/sandbox/missing/x", 0755));
  for (int i = 0; i < 20; ++i) {
    char p[64];
    snprintf(p, sizeof p, "/sandbox/d/file%02d", i);
    close(open(p, O_CREAT | O_WRONLY, 0644));
  }
  list("/sandbox/d");
  list("/sandbox/d/e");
  list("/sandbox/hello.txt");

  // telldir/seekdir: remember a position, read on, come back, read the same entries.
  DIR* d = opendir("/sandbox/d");
  for (int i = 0; i < 7; ++i) readdir(d);
  long pos = telldir(d);
  char first[3][300];
  for (int i = 0; i < 3; ++i) strcpy(first[i], readdir(d)->d_name);
  while (readdir(d)) {
  }
  seekdir(d, pos);
  int same = 1;
  for (int i = 0; i < 3; ++i) same &= strcmp(first[i], readdir(d)->d_name) == 0;
  printf("seekdir returns to the same entries: %d\n", same);
  rewinddir(d);
  int count = 0;
  while (readdir(d)) ++count;
  printf("entries after rewind: %d\n", count);
  closedir(d);

  TRY("rmdir non-empty", rmdir("/sandbox/d"));
  TRY("rmdir a file", rmdir("/sandbox/hello.txt"));
  TRY("rmdir d/e", rmdir("/sandbox/d/e"));
  TRY("rename d -> d2", rename("/sandbox/d", "/sandbox/d2"));
  TRY("stat d", access("/sandbox/d", F_OK));
  struct stat st;
  TRY("stat d2", stat("/sandbox/d2", &st));
  printf("d2 is a directory: %d\n", S_ISDIR(st.st_mode));
  for (int i = 0; i < 20; ++i) {
    char p[64];
    snprintf(p, sizeof p, "/sandbox/d2/file%02d", i);
    unlink(p);
  }
  TRY("rmdir d2", rmdir("/sandbox/d2"));
  TRY("chdir sub", chdir("/sandbox/sub"));
  TRY("create relative to cwd", open("rel.txt", O_CREAT | O_WRONLY, 0644));
  TRY("stat via ..", stat("../sub/rel.txt", &st));
  list("/sandbox/sub");
  TRY("unlink relative", unlink("rel.txt"));
  return 0;
}
