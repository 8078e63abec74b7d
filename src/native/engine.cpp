#include "native/engine.h"

#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unwind.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

namespace wasipy::native {

using runtime::RawValue;
using runtime::Trap;
using runtime::TrapKind;

static_assert(offsetof(runtime::FuncInstance, type_id) == offsetof(wp_func, type_id));
static_assert(offsetof(runtime::FuncInstance, native_code) == offsetof(wp_func, code));
static_assert(offsetof(runtime::FuncInstance, native_ctx) == offsetof(wp_func, ctx));
static_assert(offsetof(runtime::Table, view) == 0);
static_assert(sizeof(runtime::Table::View) == sizeof(wp_table));

struct NativeEngine::Library {
  void* handle = nullptr;
  const wp_module_code* code = nullptr;
  bool instrumented = false;  ///< counts for training (ObtainOptions::instrument)
  ~Library() {
    // An instrumented build stays loaded until the process ends: gcc's
    // profiling runtime inside it keeps calloc'ed value-profile nodes that
    // only its own counters point to (LeakSanitizer reports them once the
    // library is unmapped), and its destructor would write the counts again.
    if (handle && !instrumented) dlclose(handle);
  }
};

namespace {

// The compiled form of one instance: its wp_ctx and the arrays it points to.
struct NativeInstance final : runtime::CompiledCode {
  wp_ctx ctx{};
  std::vector<uint64_t*> globals;
  std::vector<wp_table*> tables;
  std::vector<const wp_func*> funcs;
  std::shared_ptr<NativeEngine::Library> library;
};

// One call from the host into native code, on the guest thread. Traps jump
// back to `resume`; the frames above it are plain C and need no unwinding.
struct GuestCall {
  sigjmp_buf resume;
  runtime::Store* store = nullptr;
  uintptr_t entry_frame = 0;            ///< run_entry's frame: wasm frames of this call lie below it
  CodeIndex* functions = nullptr;
  std::vector<const void*> frames;      ///< the trap's wasm frames, innermost first (function addresses)
  size_t max_frames = 0;
  TrapKind kind = TrapKind::Unreachable;
  std::optional<Trap> host_trap;        ///< a host function's own trap (proc_exit...)
  const runtime::FuncInstance* host_callee = nullptr;
  bool in_guest_code = false;           ///< false while a host function runs
  uintptr_t guard_lo = 0, guard_hi = 0; ///< the stack's guard region (faults there: exhaustion)
};

thread_local GuestCall* t_call = nullptr;

runtime::Instance& instance_of(wp_ctx* c) { return *static_cast<runtime::Instance*>(c->instance); }

// Records the wasm frames of the current call: unwinds the machine stack
// (through the signal frame when called from the fault handler) and keeps
// each frame whose function starts at a wasm function's address. Frames
// before the first wasm one are the trap's own machinery (on the signal
// stack); the walk ends at run_entry, whose callers belong to an outer call.
_Unwind_Reason_Code note_frame(_Unwind_Context* context, void* arg) {
  auto* g = static_cast<GuestCall*>(arg);
  auto* start = reinterpret_cast<const void*>(_Unwind_GetRegionStart(context));
  bool is_wasm = g->functions->find(start) != nullptr;
  if (!g->frames.empty() && _Unwind_GetCFA(context) > g->entry_frame) return _URC_NORMAL_STOP;
  if (is_wasm) {
    if (g->frames.size() >= g->max_frames) return _URC_NORMAL_STOP;
    g->frames.push_back(start);
  }
  return _URC_NO_REASON;
}

[[noreturn]] void raise(TrapKind kind) {
  GuestCall* g = t_call;
  g->kind = kind;
  // An exit is not an error: no backtrace, nor the walk for it, which
  // every program's exit would pay.
  bool exiting = kind == TrapKind::HostError && g->host_trap && g->host_trap->kind == TrapKind::Exit;
  // Generated code never runs inside malloc, so the walk may allocate even
  // from the fault handler (faults elsewhere are not turned into traps).
  if (!exiting) _Unwind_Backtrace(note_frame, g);
  siglongjmp(g->resume, 1);
}

// ---- What generated code calls (wp_runtime) ----

[[noreturn]] void rt_trap(wp_ctx*, uint32_t kind) { raise(TrapKind(kind)); }

// Runs the host function, keeping any trap it returns; false on a trap.
bool call_host_inner(wp_ctx* c, const wp_func* f, uint64_t* io) {
  GuestCall* g = t_call;
  auto* fi = reinterpret_cast<const runtime::FuncInstance*>(f);
  runtime::CallContext cc{g->store, &instance_of(c)};
  size_t n = std::max(fi->type->params.size(), fi->type->results.size());
  g->in_guest_code = false;
  auto trap = fi->host(cc, std::span<RawValue>(io, n));
  g->in_guest_code = true;
  if (!trap) return true;
  g->host_trap = std::move(*trap);
  g->host_callee = fi;
  return false;
}

void rt_call_host(wp_ctx* c, const wp_func* f, uint64_t* io) {
  // No C++ object may be alive when raise() jumps: the work happens in a
  // function of its own.
  if (!call_host_inner(c, f, io)) raise(TrapKind::HostError);
}

runtime::Memory& memory0(wp_ctx* c) { return *instance_of(c).memories[0]; }

uint32_t rt_memory_size(wp_ctx* c) { return uint32_t(memory0(c).pages()); }
uint32_t rt_memory_grow(wp_ctx* c, uint32_t delta) { return uint32_t(int32_t(memory0(c).grow(delta))); }

void rt_memory_init(wp_ctx* c, uint32_t seg, uint32_t d, uint32_t s, uint32_t n) {
  auto& m = memory0(c);
  auto bytes = instance_of(c).datas[seg];
  if (!m.in_bounds(d, n) || uint64_t(s) + n > bytes.size()) raise(TrapKind::MemoryOutOfBounds);
  if (n) std::memcpy(m.data() + d, bytes.data() + s, n);
}
void rt_data_drop(wp_ctx* c, uint32_t seg) { instance_of(c).datas[seg] = {}; }

runtime::Table& table(wp_ctx* c, uint32_t t) { return *instance_of(c).tables[t]; }

uint64_t rt_table_get(wp_ctx* c, uint32_t t, uint32_t i) {
  auto& tb = table(c, t);
  if (i >= tb.size()) raise(TrapKind::TableOutOfBounds);
  return tb.elements[i];
}
void rt_table_set(wp_ctx* c, uint32_t t, uint32_t i, uint64_t v) {
  auto& tb = table(c, t);
  if (i >= tb.size()) raise(TrapKind::TableOutOfBounds);
  tb.elements[i] = v;
}
uint32_t rt_table_size(wp_ctx* c, uint32_t t) { return table(c, t).size(); }
uint32_t rt_table_grow(wp_ctx* c, uint32_t t, uint64_t init, uint32_t n) {
  return uint32_t(int32_t(table(c, t).grow(n, init)));
}
void rt_table_fill(wp_ctx* c, uint32_t t, uint32_t i, uint64_t v, uint32_t n) {
  auto& tb = table(c, t);
  if (uint64_t(i) + n > tb.size()) raise(TrapKind::TableOutOfBounds);
  std::fill_n(tb.elements.begin() + i, n, v);
}
void rt_table_copy(wp_ctx* c, uint32_t dt, uint32_t st, uint32_t d, uint32_t s, uint32_t n) {
  auto& dst = table(c, dt);
  auto& src = table(c, st);
  if (uint64_t(d) + n > dst.size() || uint64_t(s) + n > src.size()) raise(TrapKind::TableOutOfBounds);
  if (n) std::memmove(dst.elements.data() + d, src.elements.data() + s, n * sizeof(RawValue));
}
void rt_table_init(wp_ctx* c, uint32_t t, uint32_t seg, uint32_t d, uint32_t s, uint32_t n) {
  auto& tb = table(c, t);
  const auto& refs = instance_of(c).elems[seg];
  if (uint64_t(d) + n > tb.size() || uint64_t(s) + n > refs.size()) raise(TrapKind::TableOutOfBounds);
  if (n) std::copy_n(refs.begin() + s, n, tb.elements.begin() + d);
}
void rt_elem_drop(wp_ctx* c, uint32_t seg) { instance_of(c).elems[seg].clear(); }

const wp_runtime kRuntime = {
    rt_trap,       rt_call_host,  rt_memory_size, rt_memory_grow, rt_memory_init, rt_data_drop,
    rt_table_get,  rt_table_set,  rt_table_size,  rt_table_grow,  rt_table_fill,  rt_table_copy,
    rt_table_init, rt_elem_drop,
};

// ---- Faults ----

// A fault in generated code is an out-of-bounds access (the linear memory's
// inaccessible pages) or stack exhaustion (the thread's guard region). A
// fault anywhere else is a bug in wasipy and crashes as usual.
void on_fault(int sig, siginfo_t* info, void*) {
  GuestCall* g = t_call;
  if (!g || !g->in_guest_code) {
    signal(sig, SIG_DFL);
    return;  // the faulting instruction runs again and kills the process
  }
  auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
  raise(addr >= g->guard_lo && addr < g->guard_hi ? TrapKind::StackExhausted : TrapKind::MemoryOutOfBounds);
}

void install_fault_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, nullptr);
    sigaction(SIGBUS, &sa, nullptr);
  });
}

// ---- The guest thread ----

struct ThreadJob {
  GuestCall* call;
  wp_entry entry;
  void* code;
  wp_ctx* ctx;
  uint64_t* io;
  bool trapped = false;
};

// Runs one entry with traps caught; on the guest thread.
void run_entry(ThreadJob& job) {
  GuestCall* g = job.call;
  GuestCall* outer = t_call;
  t_call = g;
  g->entry_frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  if (sigsetjmp(g->resume, 1) == 0) {
    g->in_guest_code = true;
    job.entry(job.code, job.ctx, job.io);
    g->in_guest_code = false;
  } else {
    g->in_guest_code = false;
    job.trapped = true;
  }
  t_call = outer;
}

void* guest_thread_main(void* arg) {
  auto& job = *static_cast<ThreadJob*>(arg);
  // Faults must be handled on a stack of their own: the thread's may be the
  // one that ran out.
  constexpr size_t kAltStack = 256 * 1024;
  void* alt = mmap(nullptr, kAltStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  stack_t ss{};
  ss.ss_sp = alt;
  ss.ss_size = kAltStack;
  sigaltstack(&ss, nullptr);

  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void* lo = nullptr;
    size_t size = 0, guard = 0;
    pthread_attr_getstack(&attr, &lo, &size);
    pthread_attr_getguardsize(&attr, &guard);
    // Below the usable stack, plus a margin: a frame that would cross the
    // end faults within its first page of probes.
    job.call->guard_lo = reinterpret_cast<uintptr_t>(lo) - guard;
    job.call->guard_hi = reinterpret_cast<uintptr_t>(lo) + 64 * 1024;
    pthread_attr_destroy(&attr);
  }
  run_entry(job);

  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, nullptr);
  munmap(alt, kAltStack);
  return nullptr;
}

Trap trap_with_backtrace(GuestCall& g) {
  Trap t = g.kind == TrapKind::HostError && g.host_trap ? std::move(*g.host_trap) : Trap::of(g.kind);
  if (t.kind == TrapKind::Exit) return t;
  if (g.kind == TrapKind::HostError && t.backtrace.empty() && g.host_callee) t.backtrace.push_back(g.host_callee->display_name());
  for (const void* code : g.frames) t.backtrace.push_back(g.functions->find(code)->display_name());
  return t;
}

}  // namespace

const runtime::FuncInstance* CodeIndex::find(const void* code) {
  auto by_code = [](const auto& a, const auto& b) { return a.first < b.first; };
  if (sorted_ < entries_.size()) {
    // Stable, so that the first added stays first among equal addresses.
    std::stable_sort(entries_.begin() + std::ptrdiff_t(sorted_), entries_.end(), by_code);
    std::inplace_merge(entries_.begin(), entries_.begin() + std::ptrdiff_t(sorted_), entries_.end(), by_code);
    sorted_ = entries_.size();
  }
  auto it = std::lower_bound(entries_.begin(), entries_.end(), std::pair(code, static_cast<const runtime::FuncInstance*>(nullptr)), by_code);
  return it != entries_.end() && it->first == code ? it->second : nullptr;
}

NativeEngine::NativeEngine(Toolchain toolchain, ObtainOptions options, NativeLimits limits)
    : toolchain_(std::move(toolchain)), options_(std::move(options)), limits_(limits) {
  install_fault_handlers();
}

NativeEngine::~NativeEngine() = default;

std::string NativeEngine::hash_of(const std::shared_ptr<const wasm::Module>& module) {
  auto it = hashes_.find(module.get());
  if (it != hashes_.end() && it->second.first.lock() == module) return it->second.second;
  std::string h = module_hash(module->bytes);
  hashes_[module.get()] = {module, h};
  return h;
}

bool NativeEngine::has_cached_code(const std::shared_ptr<const wasm::Module>& module) {
  if (!options_.use_cache || options_.instrument) return false;
  std::string key = cache_key(hash_of(module), toolchain_);
  if (libraries_.count(key)) return true;
  std::filesystem::path so = options_.cache_dir / (entry_stem(key, profile_to_use(options_, toolchain_, key)) + ".so");
  if (!verify_entry(so)) return false;
  // Loaded now, so that a hit needs nothing more of the module than its
  // bytes (hashed) and function count: its bodies may not even be decoded
  // (launch::load). Code built for something else is left to library_for,
  // which replaces it from a validated module.
  auto lib = std::make_shared<Library>();
  lib->handle = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!lib->handle) return false;
  lib->code = static_cast<const wp_module_code*>(dlsym(lib->handle, WP_MODULE_SYMBOL));
  if (!lib->code || std::string_view(lib->code->key) != key || lib->code->function_count != module->functions.size()) {
    return false;
  }
  libraries_[key] = lib;
  return true;
}

void NativeEngine::note_module_file(const std::shared_ptr<const wasm::Module>& module, const struct stat& file) {
  if (!options_.use_cache) return;
  if (auto h = remembered_hash(options_.cache_dir, file)) {
    hashes_[module.get()] = {module, *h};
    return;
  }
  remember_hash(options_.cache_dir, file, hash_of(module));
}

std::expected<Artifact, std::string> NativeEngine::compile(const wasm::Module& module) {
  return obtain(module, module_hash(module.bytes), toolchain_, options_);
}

std::expected<std::shared_ptr<NativeEngine::Library>, std::string> NativeEngine::library_for(
    const std::shared_ptr<const wasm::Module>& module) {
  std::string key = cache_key(hash_of(module), toolchain_);
  if (auto it = libraries_.find(key); it != libraries_.end()) return it->second;
  auto artifact = obtain(*module, hash_of(module), toolchain_, options_);
  std::shared_ptr<Library> lib;
  for (int attempt = 0;; ++attempt) {
    if (!artifact) return std::unexpected(artifact.error());
    lib = std::make_shared<Library>();
    lib->handle = dlopen(artifact->shared_object.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (artifact->temporary) {
      std::error_code ec;
      std::filesystem::remove_all(artifact->shared_object.parent_path(), ec);
    }
    if (!lib->handle) {
      return std::unexpected(fmt::format("cannot load native code {}: {}", artifact->shared_object.string(), dlerror()));
    }
    lib->code = static_cast<const wp_module_code*>(dlsym(lib->handle, WP_MODULE_SYMBOL));
    if (lib->code && std::string_view(lib->code->key) == key && lib->code->function_count == module->functions.size()) {
      lib->instrumented = artifact->instrumented;
      break;
    }
    // A well-formed entry built for something else (copied in by hand, or a
    // key collision): never run it; replace it once.
    std::string path = artifact->shared_object.string();
    lib.reset();
    if (artifact->temporary || attempt > 0) {
      return std::unexpected(fmt::format("native code {} was not built for this module", path));
    }
    fmt::print(stderr, "wasipy: refusing cached native code {}: it was built for another module or wasipy; recompiling\n",
               path);
    std::error_code ec;
    std::filesystem::remove(artifact->shared_object, ec);
    std::filesystem::path sum = artifact->shared_object;
    std::filesystem::remove(sum.replace_extension(".sum"), ec);
    artifact = obtain(*module, hash_of(module), toolchain_, options_);
  }
  libraries_[key] = lib;
  return lib;
}

std::expected<std::vector<Profile>, std::string> NativeEngine::save_training() {
  std::vector<Profile> saved;
  for (auto& [key, lib] : libraries_) {
    if (!lib->instrumented) continue;
    // gcc's runtime writes the counts at exit, which wasipy skips (_exit):
    // write them now, then zero them so that a later exit adds nothing.
    auto dump = reinterpret_cast<void (*)()>(dlsym(lib->handle, "__gcov_dump"));
    auto reset = reinterpret_cast<void (*)()>(dlsym(lib->handle, "__gcov_reset"));
    if (!dump || !reset) return std::unexpected("the instrumented build has no gcov runtime (__gcov_dump)");
    dump();
    reset();
    auto p = seal_profile(options_.cache_dir, key);
    if (!p) return std::unexpected(p.error());
    saved.push_back(*p);
  }
  return saved;
}

std::expected<void, std::string> NativeEngine::prepare(runtime::Instance& instance,
                                                       std::span<const wasm::FunctionInfo>) {
  auto lib = library_for(instance.module);
  if (!lib) return std::unexpected(lib.error());
  const wasm::Module& m = *instance.module;
  auto ni = std::make_unique<NativeInstance>();
  ni->library = *lib;
  for (auto* g : instance.globals) ni->globals.push_back(&g->value);
  for (auto* t : instance.tables) ni->tables.push_back(reinterpret_cast<wp_table*>(&t->view));
  for (auto* f : instance.funcs) ni->funcs.push_back(reinterpret_cast<const wp_func*>(f));
  ni->ctx.mem = instance.memories.empty() ? nullptr : instance.memories[0]->data();
  ni->ctx.mem_bytes = instance.memories.empty() ? nullptr : instance.memories[0]->size_cell();
  ni->ctx.rt = &kRuntime;
  ni->ctx.globals = ni->globals.data();
  for (size_t g = 0; g < WP_CTX_GLOBALS && g < ni->globals.size(); ++g) ni->ctx.global_cells[g] = ni->globals[g];
  ni->ctx.tables = ni->tables.data();
  ni->ctx.funcs = ni->funcs.data();
  ni->ctx.type_ids = instance.type_ids.data();
  ni->ctx.instance = &instance;
  functions_by_code_.reserve(m.functions.size());
  for (size_t i = 0; i < m.functions.size(); ++i) {
    runtime::FuncInstance* f = instance.funcs[m.imported_funcs + i];
    f->native_code = (*lib)->code->functions[i];
    functions_by_code_.add(f->native_code, f);
    f->native_ctx = &ni->ctx;
    f->code = reinterpret_cast<void*>((*lib)->code->entries[i]);
  }
  instance.compiled = std::move(ni);
  return {};
}

std::optional<Trap> NativeEngine::call(runtime::Store& store, runtime::FuncInstance& f, std::span<RawValue> io) {
  if (f.is_host()) {
    runtime::CallContext ctx{&store, nullptr};
    return f.host(ctx, io);
  }
  GuestCall g;
  g.store = &store;
  g.functions = &functions_by_code_;
  g.max_frames = limits_.max_backtrace_frames;
  g.frames.reserve(64);
  ThreadJob job{&g, reinterpret_cast<wp_entry>(f.code), f.native_code, static_cast<wp_ctx*>(f.native_ctx), io.data()};
  if (t_call) {
    // Already on the guest thread (a host function called back into wasm).
    g.guard_lo = t_call->guard_lo;
    g.guard_hi = t_call->guard_hi;
    bool was_in_guest = t_call->in_guest_code;
    run_entry(job);
    t_call->in_guest_code = was_in_guest;
  } else {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, limits_.stack_bytes);
    pthread_attr_setguardsize(&attr, 1 << 20);
    pthread_t tid;
    int rc = pthread_create(&tid, &attr, guest_thread_main, &job);
    pthread_attr_destroy(&attr);
    if (rc != 0) return Trap::host(fmt::format("cannot start the guest thread: {}", std::strerror(rc)));
    pthread_join(tid, nullptr);
  }
  if (job.trapped) return trap_with_backtrace(g);
  return std::nullopt;
}

}  // namespace wasipy::native
