#include "wasm/bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace wasipy::wasm {

Bytes::Bytes(std::vector<uint8_t> bytes) {
  auto owned = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  data_ = owned->data();
  size_ = owned->size();
  owner_ = std::move(owned);
}

std::expected<Bytes, std::string> Bytes::from_file(const std::string& path, struct stat* identity) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return std::unexpected(fmt::format("{} is not a regular file", path));
  }
  if (identity) *identity = st;
  const size_t size = size_t(st.st_size);
  if (size >= kMapAtLeast) {
    void* m = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    const int mmap_errno = errno;
    ::close(fd);  // the mapping keeps the file
    if (m == MAP_FAILED) return std::unexpected(fmt::format("cannot map {}: {}", path, std::strerror(mmap_errno)));
    Bytes b;
    b.data_ = static_cast<const uint8_t*>(m);
    b.size_ = size;
    b.mapped_ = true;
    b.owner_ = std::shared_ptr<const void>(m, [size](const void* p) { ::munmap(const_cast<void*>(p), size); });
    return b;
  }
  std::vector<uint8_t> bytes(size);
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::read(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const char* why = n < 0 ? std::strerror(errno) : "file shrank";
      ::close(fd);
      return std::unexpected(fmt::format("cannot read {}: {}", path, why));
    }
    done += size_t(n);
  }
  ::close(fd);
  return Bytes(std::move(bytes));
}

}  // namespace wasipy::wasm
