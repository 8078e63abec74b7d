/* The contract between wasipy and the native code it generates.
 *
 * This header is C, because the generated code is C: the translator pastes
 * its text at the top of every generated file (see CMakeLists.txt), and the
 * C++ side includes it to build the same structures. Changing anything here
 * changes every cache key (the translator's version hashes this text), so
 * old artifacts are never loaded against a new layout.
 */
#ifndef WASIPY_NATIVE_ABI_H
#define WASIPY_NATIVE_ABI_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A function reference as native code sees it: the first fields of
 * runtime::FuncInstance (store.h keeps them first). A funcref value and a
 * table entry are the address of one of these, or 0 for null. */
typedef struct wp_func {
  uint32_t type_id;   /* the store's interned type: equal ids <=> equal types */
  void* code;         /* native entry of a wasm function; 0 for a host function */
  void* ctx;          /* the wp_ctx that code expects as its first argument */
} wp_func;

/* runtime::Table::View */
typedef struct wp_table {
  uint64_t* data;
  uint64_t size;
} wp_table;

struct wp_ctx;

/* Trap kinds, numbered as runtime::TrapKind. */
enum {
  WP_TRAP_UNREACHABLE = 0,
  WP_TRAP_MEMORY_OOB = 1,
  WP_TRAP_TABLE_OOB = 2,
  WP_TRAP_UNDEFINED_ELEMENT = 3,
  WP_TRAP_UNINITIALIZED_ELEMENT = 4,
  WP_TRAP_INDIRECT_CALL_TYPE = 5,
  WP_TRAP_DIVIDE_BY_ZERO = 6,
  WP_TRAP_INTEGER_OVERFLOW = 7,
  WP_TRAP_INVALID_CONVERSION = 8,
  WP_TRAP_STACK_EXHAUSTED = 9
};

/* What generated code calls back into wasipy for: everything that is rare
 * or needs the runtime's objects. Generated code has no undefined symbols
 * other than libc/libm; it reaches wasipy only through this table. */
typedef struct wp_runtime {
  void (*trap)(struct wp_ctx*, uint32_t kind) __attribute__((noreturn));
  /* Calls a function that has no native code (a host function): arguments
   * in io[0..params), results back in io[0..results). Traps do not return. */
  void (*call_host)(struct wp_ctx*, const wp_func*, uint64_t* io);
  uint32_t (*memory_size)(struct wp_ctx*);
  uint32_t (*memory_grow)(struct wp_ctx*, uint32_t delta);
  void (*memory_init)(struct wp_ctx*, uint32_t segment, uint32_t dst, uint32_t src, uint32_t n);
  void (*data_drop)(struct wp_ctx*, uint32_t segment);
  uint64_t (*table_get)(struct wp_ctx*, uint32_t table, uint32_t index);
  void (*table_set)(struct wp_ctx*, uint32_t table, uint32_t index, uint64_t value);
  uint32_t (*table_size)(struct wp_ctx*, uint32_t table);
  uint32_t (*table_grow)(struct wp_ctx*, uint32_t table, uint64_t init, uint32_t n);
  void (*table_fill)(struct wp_ctx*, uint32_t table, uint32_t index, uint64_t value, uint32_t n);
  void (*table_copy)(struct wp_ctx*, uint32_t dst_table, uint32_t src_table, uint32_t dst, uint32_t src, uint32_t n);
  void (*table_init)(struct wp_ctx*, uint32_t table, uint32_t segment, uint32_t dst, uint32_t src, uint32_t n);
  void (*elem_drop)(struct wp_ctx*, uint32_t segment);
} wp_runtime;

/* One per instance. Pointers here never change once the instance runs
 * (a linear memory's base never moves), so functions load them once. */
#define WP_CTX_GLOBALS 4
typedef struct wp_ctx {
  uint8_t* mem;                 /* memory 0's base, or 0 */
  const uint64_t* mem_bytes;    /* memory 0's current size in bytes (memory.grow changes it), or 0 */
  const wp_runtime* rt;
  uint64_t** globals;           /* global index -> its 64-bit cell */
  /* The cells of globals 0..WP_CTX_GLOBALS-1 (if the module has them) once
   * more, one load from ctx rather than two: global 0 of a wasm-ld module is
   * __stack_pointer, which most functions read on entry. */
  uint64_t* global_cells[WP_CTX_GLOBALS];
  wp_table** tables;            /* table index -> view */
  const wp_func** funcs;        /* function index -> reference */
  const uint32_t* type_ids;     /* module type index -> store type id */
  void* instance;               /* runtime::Instance* */
} wp_ctx;

/* Calls a native function of any type from the host: arguments in
 * io[0..params), results back in io[0..results). */
typedef void (*wp_entry)(void* code, wp_ctx* ctx, uint64_t* io);

/* What a compiled module exports (the only symbols with default visibility).
 *
 * Every wasm function is a C function of its own: the generated code marks
 * them noipa and is compiled without sibling calls or hot/cold splitting, so
 * each wasm frame is exactly one machine frame whose function starts at
 * functions[i]. A trap's backtrace is found by unwinding the machine stack
 * (.eh_frame) and mapping each frame's function start back to the wasm
 * function: no bookkeeping on the call path. */
typedef struct wp_module_code {
  const char* key;              /* the cache key it was compiled for */
  uint32_t function_count;      /* defined functions */
  void* const* functions;       /* defined function index -> native code */
  const wp_entry* entries;      /* defined function index -> entry trampoline */
} wp_module_code;

#define WP_MODULE_SYMBOL "wasipy_module_code"

#ifdef __cplusplus
}
#endif
#endif
