#pragma once
// The numeric vocabulary of wasi_snapshot_preview1 (witx typenames): errno,
// rights, flags, and the byte layouts of the records the ABI passes in memory.
#include <cstdint>
#include <string_view>

namespace wasipy::wasi {

enum class Errno : uint16_t {
#define X(name, e) e,
#include "wasi/errno.def"
#undef X
};

/// "badf", "noent", ... (the witx name).
std::string_view name_of(Errno e);
/// Maps a Linux errno to the WASI errno that means the same thing.
Errno from_host_errno(int host_errno);

enum class Filetype : uint8_t {
  Unknown = 0,
  BlockDevice = 1,
  CharacterDevice = 2,
  Directory = 3,
  RegularFile = 4,
  SocketDgram = 5,
  SocketStream = 6,
  SymbolicLink = 7,
};

enum class ClockId : uint32_t { Realtime = 0, Monotonic = 1, ProcessCputime = 2, ThreadCputime = 3 };

namespace rights {
constexpr uint64_t FdDatasync = 1ull << 0;
constexpr uint64_t FdRead = 1ull << 1;
constexpr uint64_t FdSeek = 1ull << 2;
constexpr uint64_t FdFdstatSetFlags = 1ull << 3;
constexpr uint64_t FdSync = 1ull << 4;
constexpr uint64_t FdTell = 1ull << 5;
constexpr uint64_t FdWrite = 1ull << 6;
constexpr uint64_t FdAdvise = 1ull << 7;
constexpr uint64_t FdAllocate = 1ull << 8;
constexpr uint64_t PathCreateDirectory = 1ull << 9;
constexpr uint64_t PathCreateFile = 1ull << 10;
constexpr uint64_t PathLinkSource = 1ull << 11;
constexpr uint64_t PathLinkTarget = 1ull << 12;
constexpr uint64_t PathOpen = 1ull << 13;
constexpr uint64_t FdReaddir = 1ull << 14;
constexpr uint64_t PathReadlink = 1ull << 15;
constexpr uint64_t PathRenameSource = 1ull << 16;
constexpr uint64_t PathRenameTarget = 1ull << 17;
constexpr uint64_t PathFilestatGet = 1ull << 18;
constexpr uint64_t PathFilestatSetSize = 1ull << 19;
constexpr uint64_t PathFilestatSetTimes = 1ull << 20;
constexpr uint64_t FdFilestatGet = 1ull << 21;
constexpr uint64_t FdFilestatSetSize = 1ull << 22;
constexpr uint64_t FdFilestatSetTimes = 1ull << 23;
constexpr uint64_t PathSymlink = 1ull << 24;
constexpr uint64_t PathRemoveDirectory = 1ull << 25;
constexpr uint64_t PathUnlinkFile = 1ull << 26;
constexpr uint64_t PollFdReadwrite = 1ull << 27;
constexpr uint64_t SockShutdown = 1ull << 28;
constexpr uint64_t SockAccept = 1ull << 29;
constexpr uint64_t All = (1ull << 30) - 1;

/// Rights that only make sense on a directory; a file never gets them.
constexpr uint64_t DirectoryOnly = PathCreateDirectory | PathCreateFile | PathLinkSource |
                                   PathLinkTarget | PathOpen | FdReaddir | PathReadlink |
                                   PathRenameSource | PathRenameTarget | PathFilestatGet |
                                   PathFilestatSetSize | PathFilestatSetTimes | PathSymlink |
                                   PathRemoveDirectory | PathUnlinkFile;
/// Rights that ask for the host file to be opened for writing.
constexpr uint64_t Writing = FdWrite | FdAllocate | FdFilestatSetSize | FdDatasync;
}  // namespace rights

namespace fdflags {
constexpr uint16_t Append = 1 << 0;
constexpr uint16_t Dsync = 1 << 1;
constexpr uint16_t Nonblock = 1 << 2;
constexpr uint16_t Rsync = 1 << 3;
constexpr uint16_t Sync = 1 << 4;
}  // namespace fdflags

namespace oflags {
constexpr uint16_t Creat = 1 << 0;
constexpr uint16_t Directory = 1 << 1;
constexpr uint16_t Excl = 1 << 2;
constexpr uint16_t Trunc = 1 << 3;
}  // namespace oflags

namespace fstflags {
constexpr uint16_t Atim = 1 << 0;
constexpr uint16_t AtimNow = 1 << 1;
constexpr uint16_t Mtim = 1 << 2;
constexpr uint16_t MtimNow = 1 << 3;
}  // namespace fstflags

constexpr uint32_t kLookupSymlinkFollow = 1;
constexpr uint16_t kSubclockAbstime = 1;
constexpr uint16_t kEventFdReadwriteHangup = 1;

enum class Whence : uint8_t { Set = 0, Cur = 1, End = 2 };
enum class EventType : uint8_t { Clock = 0, FdRead = 1, FdWrite = 2 };
enum class Advice : uint8_t { Normal = 0, Sequential, Random, Willneed, Dontneed, Noreuse };

/// Byte layouts (offsets and sizes) of the records, as in witx.
namespace layout {
constexpr uint32_t kIovecSize = 8;        // buf u32 @0, buf_len u32 @4
constexpr uint32_t kFdstatSize = 24;      // filetype u8 @0, flags u16 @2, base @8, inheriting @16
constexpr uint32_t kFilestatSize = 64;    // dev @0 ino @8 filetype u8 @16 nlink @24 size @32 atim @40 mtim @48 ctim @56
constexpr uint32_t kDirentSize = 24;      // d_next @0 d_ino @8 d_namlen u32 @16 d_type u8 @20
constexpr uint32_t kPrestatSize = 8;      // tag u8 @0, pr_name_len u32 @4
constexpr uint32_t kSubscriptionSize = 48;  // userdata @0, tag u8 @8, union @16
constexpr uint32_t kEventSize = 32;       // userdata @0, error u16 @8, type u8 @10, nbytes @16, flags u16 @24
}  // namespace layout

}  // namespace wasipy::wasi
