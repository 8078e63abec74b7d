/* parser: generates arithmetic expression text, then tokenizes and evaluates
 * it with a recursive-descent parser. Measures byte scanning, branches and
 * recursion. */
#include "kernel.h"

#define TEXT_MAX (1 << 20)
static char text[TEXT_MAX + 64];
static uint32_t text_len;

/* ---- generator ---- */
static uint32_t gen_state;

static void emit(char c) {
  if (text_len < TEXT_MAX) text[text_len++] = c;
}

static void emit_number(void) {
  uint32_t v = bench_next(&gen_state) % 100000u;
  char digits[8];
  int n = 0;
  do { digits[n++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (n) emit(digits[--n]);
}

static void gen_expr(int depth, uint32_t budget);

static void gen_term(int depth, uint32_t budget) {
  uint32_t pick = bench_next(&gen_state) % 8u;
  if (depth < 24 && pick < 2 && budget > 8) {
    emit('(');
    gen_expr(depth + 1, budget / 2);
    emit(')');
  } else {
    emit_number();
  }
}

static void gen_expr(int depth, uint32_t budget) {
  static const char ops[] = "+-*/%+-*";
  gen_term(depth, budget);
  uint32_t n = 1 + bench_next(&gen_state) % (budget < 4 ? 1u : 6u);
  for (uint32_t i = 0; i < n && text_len < TEXT_MAX - 64; i++) {
    if (bench_next(&gen_state) % 4u == 0) emit(' ');
    emit(ops[bench_next(&gen_state) % 8u]);
    if (bench_next(&gen_state) % 4u == 0) emit(' ');
    gen_term(depth, budget);
  }
}

/* ---- tokenizer ---- */
enum { T_NUM, T_OP, T_LPAREN, T_RPAREN, T_END };
static uint32_t pos;
static int tok;
static uint32_t tok_value;
static char tok_op;

static void next_token(void) {
  while (pos < text_len && (text[pos] == ' ' || text[pos] == '\n')) pos++;
  if (pos >= text_len) { tok = T_END; return; }
  char c = text[pos];
  if (c >= '0' && c <= '9') {
    uint32_t v = 0;
    while (pos < text_len && text[pos] >= '0' && text[pos] <= '9') v = v * 10u + (uint32_t)(text[pos++] - '0');
    tok = T_NUM;
    tok_value = v;
  } else if (c == '(') { tok = T_LPAREN; pos++; }
  else if (c == ')') { tok = T_RPAREN; pos++; }
  else { tok = T_OP; tok_op = c; pos++; }
}

/* ---- evaluator: wrapping unsigned arithmetic, x/0 and x%0 give x ---- */
static uint32_t parse_expr(void);

static uint32_t parse_primary(void) {
  if (tok == T_NUM) { uint32_t v = tok_value; next_token(); return v; }
  if (tok == T_LPAREN) {
    next_token();
    uint32_t v = parse_expr();
    if (tok == T_RPAREN) next_token();
    return v;
  }
  next_token();
  return 0;
}

static uint32_t parse_product(void) {
  uint32_t v = parse_primary();
  while (tok == T_OP && (tok_op == '*' || tok_op == '/' || tok_op == '%')) {
    char op = tok_op;
    next_token();
    uint32_t rhs = parse_primary();
    if (op == '*') v *= rhs;
    else if (rhs == 0) { /* keep v */ }
    else if (op == '/') v /= rhs;
    else v %= rhs;
  }
  return v;
}

static uint32_t parse_expr(void) {
  uint32_t v = parse_product();
  while (tok == T_OP && (tok_op == '+' || tok_op == '-')) {
    char op = tok_op;
    next_token();
    uint32_t rhs = parse_product();
    v = op == '+' ? v + rhs : v - rhs;
  }
  return v;
}

int32_t parser(int32_t size, int32_t reps) {
  if (size > TEXT_MAX) size = TEXT_MAX;
  uint32_t acc = 0;
  for (int32_t r = 0; r < reps; r++) {
    if (r % 8 == 0) { /* a new text every 8 passes */
      gen_state = 0x9e3779b9u ^ (uint32_t)r;
      text_len = 0;
      while (text_len < (uint32_t)size - 64 && text_len < TEXT_MAX - 64) {
        gen_expr(0, 4096);
        emit('\n');
      }
    }
    pos = 0;
    next_token();
    uint32_t lines = 0;
    while (tok != T_END) {
      acc = acc * 31u + parse_expr();
      lines++;
    }
    acc += lines;
  }
  return (int32_t)acc;
}
