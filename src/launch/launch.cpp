#include "launch/launch.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "interp/interpreter.h"
#include "runtime/instantiate.h"
#include "wasm/decoder.h"
#include "wasm/validator.h"

namespace wasipy::launch {

namespace {

constexpr int kTrapStatus = 134;  // as a native program that aborts (128 + SIGABRT)

std::expected<std::vector<uint8_t>, std::string> read_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::unexpected(fmt::format("{} is not a regular file", path));
  }
  std::vector<uint8_t> bytes(size_t(st.st_size));
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      return std::unexpected(fmt::format("cannot read {}: {}", path, n < 0 ? std::strerror(errno) : "file shrank"));
    }
    done += size_t(n);
  }
  ::close(fd);
  return bytes;
}

}  // namespace

std::expected<Program, std::string> load(const std::string& module_path) {
  auto bytes = read_file(module_path);
  if (!bytes) return std::unexpected(bytes.error());
  auto decoded = wasm::decode(*bytes);
  if (!decoded) return std::unexpected(fmt::format("{} is not a valid module: {}", module_path, decoded.error().message));
  bytes->clear();
  bytes->shrink_to_fit();  // the module keeps its own copy
  Program p;
  p.module = std::make_shared<const wasm::Module>(std::move(*decoded));
  auto info = wasm::validate(*p.module);
  if (!info) return std::unexpected(fmt::format("{} is not a valid module: {}", module_path, info.error().message));
  p.info = std::move(*info);
  return p;
}

std::expected<Outcome, std::string> run(const Guest& guest) {
  auto program = load(guest.module_path);
  if (!program) return std::unexpected(program.error());
  const auto& module = program->module;
  const auto* info = &program->info;

  // The tier outlives the store, whose instances own compiled code.
  interp::Interpreter engine;
  runtime::Store store;
  runtime::Linker linker;
  wasi::Config config;
  config.args = guest.args;
  config.env = guest.env;
  config.mounts = guest.mounts;
  config.stdin_fd = guest.stdin_fd;
  config.stdout_fd = guest.stdout_fd;
  config.stderr_fd = guest.stderr_fd;
  auto w = wasi::Wasi::create(std::move(config));
  if (!w) return std::unexpected(w.error());
  (*w)->add_to(linker, store);

  auto inst = runtime::instantiate(store, engine, module, *info, linker.resolver());
  if (!inst) {
    const auto& e = inst.error();
    if (e.trap) return Outcome{kTrapStatus, e.trap->describe()};
    return std::unexpected(fmt::format("cannot {} {}: {}",
                                       e.kind == runtime::InstantiateError::Kind::Unlinkable ? "link" : "instantiate",
                                       guest.module_path, e.message));
  }
  runtime::FuncInstance* start = (*inst)->exported_func("_start");
  if (!start) return std::unexpected(fmt::format("{} exports no _start function: it is not a WASI program", guest.module_path));
  auto r = runtime::invoke(engine, store, *start, {});
  if (r) return Outcome{0, {}};
  if (r.error().kind == runtime::TrapKind::Exit) return Outcome{r.error().exit_code, {}};
  return Outcome{kTrapStatus, r.error().describe()};
}

}  // namespace wasipy::launch
