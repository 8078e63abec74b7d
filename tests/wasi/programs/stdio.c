// Arguments, environment, stdin/stdout/stderr, poll on stdin, and the exit status.
// ARGS: one "two words" three
// ENV: GREETING=hello
// ENV: EMPTY=
// STDIN: first line\nsecond line\n
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"

int main(int argc, char** argv) {
  printf("argc=%d\n", argc);
  for (int i = 1; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  printf("GREETING=%s\n", getenv("GREETING") ? getenv("GREETING") : "(unset)");
  printf("EMPTY=[%s]\n", getenv("EMPTY") ? getenv("EMPTY") : "(unset)");
  printf("MISSING=%s\n", getenv("MISSING") ? getenv("MISSING") : "(unset)");

  struct pollfd p = {.fd = 0, .events = POLLIN};
  int n = poll(&p, 1, 1000);
  printf("poll(stdin)=%d readable=%d\n", n, (p.revents & POLLIN) != 0);

  char line[128];
  int count = 0;
  while (fgets(line, sizeof line, stdin)) printf("stdin %d: %s", ++count, line);
  printf("stdin lines=%d eof=%d\n", count, feof(stdin));

  fprintf(stderr, "this goes to stderr\n");
  fflush(stdout);
  // A write on a closed fd fails cleanly.
  errno = 0;
  TRY("write(99)", (int)write(99, "x", 1));
  return 3;
}
