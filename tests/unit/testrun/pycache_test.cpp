#include "testrun/pycache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>
#include <map>

#include <gtest/gtest.h>

using namespace wasipy::testrun;
namespace fs = std::filesystem;

namespace {

struct Tmp {
  fs::path path;
  Tmp() {
    std::string t = (fs::temp_directory_path() / "wasipy-pycache-test-XXXXXX").string();
    path = mkdtemp(t.data());
  }
  ~Tmp() { fs::remove_all(path); }
};

void touch(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << "x";
}

void age(const fs::path& p, std::chrono::hours h) { fs::last_write_time(p, fs::file_time_type::clock::now() - h); }

constexpr std::chrono::hours kMonth{24 * 30};

}  // namespace

TEST(Pycache, UseStampsAndReuses) {
  Tmp t;
  fs::create_directories(t.path / "proj");
  fs::create_directories(t.path / "env");
  {
    auto lease = use_pycache(t.path / "pycache", "k1", t.path / "proj", t.path / "env");
    ASSERT_TRUE(lease.has_value()) << lease.error();
    EXPECT_EQ(lease->dir(), t.path / "pycache" / "k1");
    touch(lease->dir() / "project" / "m.cpython-311.pyc");
    std::ifstream s(lease->dir() / kPycacheStamp);
    std::string all((std::istreambuf_iterator<char>(s)), {});
    EXPECT_NE(all.find("project " + (t.path / "proj").string()), std::string::npos) << all;
    EXPECT_NE(all.find("env " + (t.path / "env").string()), std::string::npos) << all;
  }
  auto again = use_pycache(t.path / "pycache", "k1", t.path / "proj", t.path / "env");
  ASSERT_TRUE(again.has_value());
  EXPECT_TRUE(fs::exists(again->dir() / "project" / "m.cpython-311.pyc"));  // kept between runs
}

TEST(Pycache, PrunesGoneAndOldKeepsFreshAndHeld) {
  Tmp t;
  fs::path root = t.path / "pycache";
  for (const char* d : {"proj-a", "proj-b", "proj-c", "proj-d", "proj-e", "env", "env-gone"}) fs::create_directories(t.path / d);
  auto make = [&](const char* key, const char* proj, const char* env) {
    auto l = use_pycache(root, key, t.path / proj, t.path / env);
    EXPECT_TRUE(l.has_value());
    touch(root / key / "project" / "m.pyc");
  };
  make("gone-project", "proj-a", "env");
  make("gone-env", "proj-b", "env-gone");
  make("old", "proj-c", "env");
  make("fresh", "proj-d", "env");
  make("old-but-held", "proj-e", "env");
  fs::remove_all(t.path / "proj-a");
  fs::remove_all(t.path / "env-gone");
  age(root / "old" / kPycacheStamp, kMonth + std::chrono::hours(48));
  // An older wasipy's cache: no stamp, judged by its folder's age.
  touch(root / "legacy-old" / "project" / "m.pyc");
  age(root / "legacy-old", kMonth * 2);
  touch(root / "legacy-new" / "project" / "m.pyc");
  // A pruner killed half-way.
  touch(root / "x.pruning-123" / "m.pyc");

  auto held = use_pycache(root, "old-but-held", t.path / "proj-e", t.path / "env");
  ASSERT_TRUE(held.has_value());
  age(root / "old-but-held" / kPycacheStamp, kMonth * 3);
  fs::remove_all(t.path / "proj-e");  // even with its project gone, a held cache stays

  auto pruned = prune_pycaches(root, kMonth);
  std::map<std::string, std::string> why;
  for (auto& p : pruned) why[p.dir.filename().string()] = p.reason;
  EXPECT_EQ(why.size(), 4u);
  EXPECT_EQ(why["gone-project"], "project gone");
  EXPECT_EQ(why["gone-env"], "environment gone");
  EXPECT_EQ(why["old"], "unused for 32 days");
  EXPECT_EQ(why["legacy-old"], "unused for 60 days");
  for (const char* d : {"gone-project", "gone-env", "old", "legacy-old", "x.pruning-123"}) EXPECT_FALSE(fs::exists(root / d)) << d;
  EXPECT_TRUE(fs::exists(root / "fresh" / "project" / "m.pyc"));
  EXPECT_TRUE(fs::exists(root / "legacy-new" / "project" / "m.pyc"));
  EXPECT_TRUE(fs::exists(root / "old-but-held" / "project" / "m.pyc"));
  for (const auto& e : fs::directory_iterator(root)) EXPECT_EQ(e.path().filename().string().find(".pruning-"), std::string::npos);

  // Released: now it goes.
  held = std::unexpected(std::string("released"));
  auto later = prune_pycaches(root, kMonth);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].reason, "project gone");
  EXPECT_FALSE(fs::exists(root / "old-but-held"));
  EXPECT_TRUE(fs::exists(root / "fresh"));
}

TEST(Pycache, UseAfterPruneMakesAFreshOne) {
  Tmp t;
  fs::path root = t.path / "pycache";
  fs::create_directories(t.path / "proj");
  fs::create_directories(t.path / "env");
  {
    auto l = use_pycache(root, "k", t.path / "proj", t.path / "env");
    ASSERT_TRUE(l.has_value());
  }
  // A lock file opened before the folder was pruned away is not a lease.
  int stale = ::open((root / "k" / kPycacheLock).c_str(), O_RDWR);
  ASSERT_GE(stale, 0);
  age(root / "k" / kPycacheStamp, kMonth * 2);
  ASSERT_EQ(prune_pycaches(root, kMonth).size(), 1u);
  EXPECT_FALSE(fs::exists(root / "k"));
  auto l = use_pycache(root, "k", t.path / "proj", t.path / "env");
  ASSERT_TRUE(l.has_value());
  EXPECT_TRUE(fs::exists(root / "k" / kPycacheStamp));
  // The new lease's lock is not the stale file: an exclusive lock on that one says nothing.
  EXPECT_EQ(::flock(stale, LOCK_EX | LOCK_NB), 0);
  EXPECT_TRUE(prune_pycaches(root, std::chrono::hours(-1)).empty());
  ::close(stale);
}
