#include "testrun/report.h"

#include <algorithm>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace wasipy::testrun {

const char* outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Passed: return "passed";
    case Outcome::Failed: return "failed";
    case Outcome::Error: return "error";
    case Outcome::Skipped: return "skipped";
    case Outcome::XFailed: return "xfailed";
  }
  return "?";
}

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Compatible: return "compatible";
    case Verdict::CompatibleExcept: return "compatible-except";
    case Verdict::NotCompatible: return "not-compatible";
    case Verdict::NoTests: return "no-tests";
    case Verdict::DidNotRun: return "did-not-run";
    case Verdict::CollectOnly: return "collect-only";
  }
  return "?";
}

// ---- JUnit XML --------------------------------------------------------------

namespace {

void append_utf8(std::string& out, unsigned cp) {
  if (cp < 0x80) out += char(cp);
  else if (cp < 0x800) out += char(0xC0 | (cp >> 6)), out += char(0x80 | (cp & 0x3F));
  else if (cp < 0x10000) out += char(0xE0 | (cp >> 12)), out += char(0x80 | ((cp >> 6) & 0x3F)), out += char(0x80 | (cp & 0x3F));
  else
    out += char(0xF0 | (cp >> 18)), out += char(0x80 | ((cp >> 12) & 0x3F)), out += char(0x80 | ((cp >> 6) & 0x3F)),
        out += char(0x80 | (cp & 0x3F));
}

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) {
      out += s[i];
      continue;
    }
    std::string_view ent = s.substr(i + 1, semi - i - 1);
    if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "amp") out += '&';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else if (!ent.empty() && ent[0] == '#') {
      unsigned cp = ent.size() > 1 && (ent[1] == 'x' || ent[1] == 'X') ? std::stoul(std::string(ent.substr(2)), nullptr, 16)
                                                                       : std::stoul(std::string(ent.substr(1)));
      append_utf8(out, cp);
    } else {
      out += s.substr(i, semi - i + 1);
    }
    i = semi;
  }
  return out;
}

struct Tag {
  std::string name;
  std::map<std::string, std::string> attrs;
  bool self_closing = false;
  size_t end = 0;  ///< just past '>'
};

/// The tag starting at `pos` (at '<').
std::optional<Tag> read_tag(std::string_view xml, size_t pos) {
  Tag t;
  size_t i = pos + 1;
  while (i < xml.size() && !std::isspace(static_cast<unsigned char>(xml[i])) && xml[i] != '>' && xml[i] != '/') t.name += xml[i++];
  while (i < xml.size()) {
    while (i < xml.size() && std::isspace(static_cast<unsigned char>(xml[i]))) ++i;
    if (i >= xml.size()) return std::nullopt;
    if (xml[i] == '/' && i + 1 < xml.size() && xml[i + 1] == '>') {
      t.self_closing = true;
      t.end = i + 2;
      return t;
    }
    if (xml[i] == '>') {
      t.end = i + 1;
      return t;
    }
    size_t eq = xml.find('=', i);
    if (eq == std::string_view::npos || eq + 1 >= xml.size()) return std::nullopt;
    std::string key(xml.substr(i, eq - i));
    while (!key.empty() && std::isspace(static_cast<unsigned char>(key.back()))) key.pop_back();
    size_t q = eq + 1;
    while (q < xml.size() && std::isspace(static_cast<unsigned char>(xml[q]))) ++q;
    if (q >= xml.size() || (xml[q] != '"' && xml[q] != '\'')) return std::nullopt;
    size_t close = xml.find(xml[q], q + 1);
    if (close == std::string_view::npos) return std::nullopt;
    t.attrs[key] = unescape(xml.substr(q + 1, close - q - 1));
    i = close + 1;
  }
  return std::nullopt;
}

}  // namespace

std::expected<std::vector<TestCase>, std::string> parse_junit(std::string_view xml) {
  std::vector<TestCase> out;
  if (xml.find("<testsuite") == std::string_view::npos) return std::unexpected(std::string("not a JUnit XML report (no <testsuite>)"));
  size_t pos = 0;
  while ((pos = xml.find("<testcase", pos)) != std::string_view::npos) {
    auto tag = read_tag(xml, pos);
    if (!tag) return std::unexpected(fmt::format("malformed <testcase> at byte {}", pos));
    TestCase tc;
    tc.classname = tag->attrs["classname"];
    tc.name = tag->attrs["name"];
    tc.file = tag->attrs["file"];
    pos = tag->end;
    if (!tag->self_closing) {
      size_t end = xml.find("</testcase>", pos);
      if (end == std::string_view::npos) return std::unexpected(std::string("unterminated <testcase>"));
      std::string_view body = xml.substr(pos, end - pos);
      size_t p = 0;
      while ((p = body.find('<', p)) != std::string_view::npos) {
        auto child = read_tag(body, p);
        if (!child || child->name.empty() || child->name[0] == '/') {
          ++p;
          continue;
        }
        std::string text;
        size_t next = child->end;
        if (!child->self_closing) {
          size_t close = body.find("</" + child->name, child->end);
          if (close == std::string_view::npos) close = body.size();
          text = unescape(body.substr(child->end, close - child->end));
          next = close;
        }
        bool counted = true;
        if (child->name == "failure") tc.outcome = Outcome::Failed;
        else if (child->name == "error") tc.outcome = tc.outcome == Outcome::Failed ? Outcome::Failed : Outcome::Error;
        else if (child->name == "skipped")
          tc.outcome = child->attrs["type"] == "pytest.xfail" ? Outcome::XFailed : Outcome::Skipped;
        else counted = false;
        if (counted && tc.message.empty()) {
          tc.message = child->attrs["message"];
          tc.text = text;
        }
        p = next;
      }
      pos = end + 11;
    }
    out.push_back(std::move(tc));
  }
  return out;
}

// ---- classification ---------------------------------------------------------

std::optional<Limitation> classify(std::string_view message, std::string_view text) {
  // The exception lines pytest marks with "E   ", and the message: the test's
  // source, shown in the traceback, must not decide (a test may mention ctypes
  // and fail for another reason).
  std::string err(message);
  err += '\n';
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (line.starts_with("E ")) err += std::string(line.substr(1)) + '\n';
    // The last line of a short traceback: "path:12: ExcType" or "ExcType: message".
    start = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  if (err.size() <= message.size() + 1) err += std::string(text);  // no E lines: use the whole text
  auto has = [&](const char* needle) { return err.find(needle) != std::string::npos; };
  auto re = [&](const char* pattern) { return std::regex_search(err, std::regex(pattern)); };
  std::string all(text);

  if (has("No module named '_ctypes'") || has("No module named 'ctypes'") ||
      (has("'NoneType' object has no attribute") && all.find("ctypes") != std::string::npos) ||
      re(R"(ctypes\b.*(not available|unavailable|is None))"))
    return Limitation{"ctypes", "ctypes is unavailable"};
  if (has("can't start new thread") || has("can't create new thread") || has("No module named '_thread'") ||
      re(R"(thread(s|ing)? (is |are )?not supported)"))
    return Limitation{"threads", "threads cannot start"};
  if (has("_posixsubprocess") || has("has no attribute 'fork'") || has("has no attribute 'forkpty'") ||
      has("has no attribute 'spawn") || has("has no attribute 'pipe'") || has("has no attribute 'waitpid'") ||
      has("has no attribute 'execv") || has("No module named '_multiprocessing'") ||
      re(R"((subprocess|Popen|fork)[^\n]*(Errno 5[28]|not supported|Not supported|Function not implemented))"))
    return Limitation{"subprocess", "no subprocess/fork"};
  if (has("No module named '_socket'") || has("No module named 'select'") || has("has no attribute 'socketpair'") ||
      re(R"(socket[^\n]*(Errno 5[28]|not supported|Not supported|Function not implemented|Errno 76))") ||
      re(R"(has no attribute '(getaddrinfo|gethostbyname|gethostname|AF_UNIX|create_connection)')"))
    return Limitation{"sockets", "no sockets"};
  if (re(R"(has no attribute 'dup2?')")) return Limitation{"os.dup", "os.dup is unsupported"};
  if (re(R"(has no attribute '(umask)')") || re(R"(umask[^\n]*(Errno 5[28]|not supported|Not supported))"))
    return Limitation{"umask", "umask is unsupported"};
  if (re(R"(has no attribute '(f|l)?chmod')") || re(R"(chmod[^\n]*(Errno 5[28]|not supported|Not supported|Function not implemented))") ||
      re(R"(has no attribute '(f|l)?chown')"))
    return Limitation{"chmod", "chmod/permissions are unsupported"};
  if (re(R"(has no attribute '(SIG[A-Z]+|alarm|setitimer|pthread_kill|sigwait|pause)')") ||
      has("signal only works in main thread") || has("No module named '_signal'") ||
      re(R"(signal[^\n]*(Errno 5[28]|not supported|Not supported|Function not implemented))"))
    return Limitation{"signals", "signals are unsupported"};
  std::smatch m;
  // Any other function of os that the WASI build lacks.
  static const std::regex os_missing(R"(module 'os' has no attribute '([A-Za-z_0-9]+)')");
  if (std::regex_search(err, m, os_missing))
    return Limitation{"os." + m[1].str(), fmt::format("os.{} is unavailable", m[1].str())};
  static const std::set<std::string> extension_modules{
      "zlib", "_bz2", "_lzma", "_ssl", "ssl", "_hashlib", "_sqlite3", "mmap", "termios", "fcntl", "grp", "pwd",
      "resource", "readline", "_curses", "curses", "_dbm", "dbm", "_gdbm", "_tkinter", "_uuid", "pyexpat",
      "_decimal", "_queue", "_asyncio", "_posixshmem", "_ctypes", "_crypt", "crypt", "nis", "spwd", "syslog",
      "ossaudiodev", "_multiprocessing", "_socket", "_zoneinfo"};
  static const std::regex nomod(R"(No module named '([A-Za-z0-9_.]+)')");
  if (std::regex_search(err, m, nomod) && extension_modules.contains(m[1].str()))
    return Limitation{"extension:" + m[1].str(), fmt::format("the extension module {} is missing", m[1].str())};
  if (has("RecursionError") || has("maximum recursion depth exceeded"))
    return Limitation{"recursion", "the recursion limit / wasm stack is smaller"};
  if (has("Errno 76") || has("Capabilities insufficient"))
    return Limitation{"sandbox", "a path outside the sandbox's mounts"};
  if (has("Errno 58") || has("Errno 52") || has("Not supported") || has("Function not implemented")) {
    // An unsupported call: name it from the traceback's code when it says which.
    auto in_code = [&](const char* pattern) { return std::regex_search(all, std::regex(pattern)); };
    if (in_code(R"(\bsocket\b|\bsocketpair\b|create_connection)")) return Limitation{"sockets", "no sockets"};
    if (in_code(R"(\bsubprocess\b|\bPopen\b|\bfork\b|\bspawn)")) return Limitation{"subprocess", "no subprocess/fork"};
    if (in_code(R"(\bf?chmod\b)")) return Limitation{"chmod", "chmod/permissions are unsupported"};
    if (in_code(R"(\bumask\b)")) return Limitation{"umask", "umask is unsupported"};
    if (in_code(R"(\bdup2?\()")) return Limitation{"os.dup", "os.dup is unsupported"};
    if (in_code(R"(\bsignal\.)")) return Limitation{"signals", "signals are unsupported"};
    return Limitation{"os-call", "an OS call that WASI does not provide"};
  }
  return std::nullopt;
}

// ---- report -----------------------------------------------------------------

namespace {

/// "AssertionError", "ValueError", ... from a failure's message.
std::string cause_of(const TestCase& t) {
  static const std::regex exc(R"(^([A-Za-z_][A-Za-z0-9_.]*(Error|Exception|Exit|Failed|Interrupt|Warning)))");
  std::smatch m;
  std::string msg = t.message;
  if (std::regex_search(msg, m, exc)) return m[1].str();
  // pytest's messages for asserts: "assert 1 == 2"
  if (msg.starts_with("assert")) return "AssertionError";
  if (t.outcome == Outcome::Error) return "error in a fixture or collection";
  return msg.empty() ? "failure" : msg.substr(0, std::min<size_t>(60, msg.find('\n')));
}

std::vector<std::pair<std::string, int>> ranked(const std::map<std::string, int>& counts) {
  std::vector<std::pair<std::string, int>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
  return v;
}

std::string count_list(const std::vector<std::pair<std::string, int>>& v, size_t limit) {
  std::string out;
  for (size_t i = 0; i < v.size() && i < limit; ++i)
    out += fmt::format("{}{} ({} test{})", i ? ", " : "", v[i].first, v[i].second, v[i].second == 1 ? "" : "s");
  if (v.size() > limit) out += fmt::format(", and {} more", v.size() - limit);
  return out;
}

}  // namespace

Report make_report(std::string project, std::string python, const std::vector<TestCase>& tests, int exit_status,
                   bool declares_wasi, std::optional<int> collect_only) {
  Report r;
  r.project = std::move(project);
  r.python = std::move(python);
  r.exit_status = exit_status;
  std::map<std::string, int> lims, causes;
  for (const TestCase& t : tests) {
    switch (t.outcome) {
      case Outcome::Passed: ++r.passed; break;
      case Outcome::Skipped: ++r.skipped; break;
      case Outcome::XFailed: ++r.xfailed; break;
      case Outcome::Failed: ++r.failed; break;
      case Outcome::Error: ++r.errors; break;
    }
    if (t.outcome != Outcome::Failed && t.outcome != Outcome::Error) continue;
    Classified c{t, classify(t.message, t.text)};
    if (c.limitation) ++lims[c.limitation->title];
    else ++causes[cause_of(t)];
    r.problems.push_back(std::move(c));
  }
  r.limitations = ranked(lims);
  r.causes = ranked(causes);
  if (collect_only && exit_status == 0) {
    r.verdict = Verdict::CollectOnly;
    r.collected = *collect_only;
    r.advice.push_back("run again without --co (--collect-only) to run the tests and get a verdict");
  } else if (exit_status == 5 || (tests.empty() && exit_status == 0)) {
    r.verdict = Verdict::NoTests;
    r.advice.push_back("pytest collected no tests: pass test paths after '--' (relative to the project), or set testpaths in the project's pytest configuration");
  } else if (tests.empty() || (exit_status != 0 && exit_status != 1)) {
    r.verdict = Verdict::DidNotRun;
    r.advice.push_back(fmt::format("pytest stopped with exit status {} before running the tests; its output above says why", exit_status));
  } else if (r.problems.empty()) {
    r.verdict = Verdict::Compatible;
    if (declares_wasi) r.advice.push_back("the project already declares the classifier \"Environment :: WebAssembly :: WASI\"");
    else r.advice.push_back("add the classifier \"Environment :: WebAssembly :: WASI\" to the project's metadata");
  } else if (causes.empty()) {
    r.verdict = Verdict::CompatibleExcept;
    r.advice.push_back(
        "mark those tests for WASI, e.g. `ctypes = pytest.importorskip(\"ctypes\")` or "
        "`@pytest.mark.skipif(sys.platform == \"wasi\", reason=\"...\")`; then the project can declare "
        "\"Environment :: WebAssembly :: WASI\"");
  } else {
    r.verdict = Verdict::NotCompatible;
    r.advice.push_back("look at the failures above that are not WASI limitations");
  }
  return r;
}

std::string format_summary(const Report& r) {
  std::string out = fmt::format("\n==== wasipy test: {} on WASI CPython {} ====\n", r.project, r.python);
  for (const std::string& s : r.skipped_requirements) out += fmt::format("not installed (optional for testing): {}\n", s);
  for (const Classified& c : r.problems) {
    if (c.limitation) out += fmt::format("WASI  {}  [{}]\n", c.test.id(), c.limitation->title);
  }
  for (const Classified& c : r.problems) {
    if (!c.limitation) {
      std::string msg = c.test.message.substr(0, c.test.message.find('\n'));
      if (msg.size() > 120) msg = msg.substr(0, 117) + "...";
      out += fmt::format("FAIL  {}  {}\n", c.test.id(), msg);
    }
  }
  if (r.verdict == Verdict::CollectOnly) {
    out += fmt::format("{} test{} collected; collect only, nothing ran: no verdict\n", r.collected, r.collected == 1 ? "" : "s");
    for (const std::string& a : r.advice) out += fmt::format("next: {}\n", a);
    return out;
  }
  out += fmt::format("{} passed, {} failed, {} errors, {} skipped, {} xfailed", r.passed, r.failed, r.errors, r.skipped, r.xfailed);
  size_t wasi = 0;
  for (auto& c : r.problems) wasi += c.limitation.has_value();
  if (!r.problems.empty()) out += fmt::format(" ({} from WASI limitations, {} to look at)", wasi, r.problems.size() - wasi);
  out += "\n";
  switch (r.verdict) {
    case Verdict::Compatible:
      out += "verdict: compatible: every test that ran passed on WASI\n";
      break;
    case Verdict::CompatibleExcept:
      out += fmt::format("verdict: compatible except tests that need {}\n", count_list(r.limitations, 6));
      break;
    case Verdict::NotCompatible:
      out += fmt::format("verdict: not compatible: {}", count_list(r.causes, 3));
      if (!r.limitations.empty()) out += fmt::format("; and WASI limitations: {}", count_list(r.limitations, 3));
      out += "\n";
      break;
    case Verdict::NoTests: out += "verdict: no tests collected\n"; break;
    case Verdict::DidNotRun: out += "verdict: the tests did not run\n"; break;
    case Verdict::CollectOnly: break;
  }
  for (const std::string& a : r.advice) out += fmt::format("next: {}\n", a);
  return out;
}

std::string to_json(const Report& r) {
  nlohmann::ordered_json j;
  j["project"] = r.project;
  j["python"] = r.python;
  j["exit_status"] = r.exit_status;
  j["verdict"] = r.verdict == Verdict::CollectOnly ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(verdict_name(r.verdict));
  if (r.verdict == Verdict::CollectOnly) j["collected"] = r.collected;
  j["counts"] = {{"passed", r.passed}, {"failed", r.failed}, {"errors", r.errors}, {"skipped", r.skipped}, {"xfailed", r.xfailed}};
  auto& problems = j["problems"] = nlohmann::ordered_json::array();
  for (const Classified& c : r.problems) {
    nlohmann::ordered_json p;
    p["test"] = c.test.id();
    p["file"] = c.test.file;
    p["outcome"] = outcome_name(c.test.outcome);
    p["message"] = c.test.message;
    p["wasi_limitation"] = c.limitation ? nlohmann::ordered_json(c.limitation->id) : nlohmann::ordered_json(nullptr);
    p["reason"] = c.limitation ? c.limitation->title : "failure to look at";
    problems.push_back(std::move(p));
  }
  auto& lims = j["limitations"] = nlohmann::ordered_json::object();
  for (auto& [k, v] : r.limitations) lims[k] = v;
  auto& causes = j["causes"] = nlohmann::ordered_json::object();
  for (auto& [k, v] : r.causes) causes[k] = v;
  j["skipped_requirements"] = r.skipped_requirements;
  j["advice"] = r.advice;
  return j.dump(2) + "\n";
}

}  // namespace wasipy::testrun
