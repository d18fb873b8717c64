#pragma once
// A job's identity: what determines its results, one hashed part each (the
// parsed grid, the task script, each file it sources, each [data] file, the
// plugin, the result format), plus parts that are only reported when they
// change (R's and the attached packages' versions).  The result file and
// every checkpoint store it; a rerun whose identity differs in a part that
// refuses is refused before any task runs, naming the part.
#include <string>
#include <string_view>
#include <vector>

namespace rsim::core {

struct IdentityPart {
  std::string name;    // what it is, as a message names it: "task script power.R"
  std::string value;   // "sha256:<hex>", or a version such as "7.3-60"
  bool refuse = true;  // a change refuses the rerun; false: a warning only
};

// One part that differs between two identities (was or now "" if absent).
struct IdentityChange {
  std::string name, was, now;
  bool refuse = true;
};

class Identity {
 public:
  Identity() = default;
  explicit Identity(std::vector<IdentityPart> parts);  // sorted by name; a name given twice keeps the last

  const std::vector<IdentityPart>& parts() const { return parts_; }
  bool empty() const { return parts_.empty(); }

  // As stored: one "name<TAB>value<TAB>refuse|warn" line per part.  decode()
  // of anything else (an older rsim's "sha256:<hex>") gives an empty identity.
  std::string encode() const;
  static Identity decode(std::string_view text);

 private:
  std::vector<IdentityPart> parts_;
};

// The parts that differ, in name order.  A part counts as refusing if it
// refuses in `now` or (absent there) in `was`.
std::vector<IdentityChange> compare(const Identity& was, const Identity& now);

// True if any change refuses.
bool any_refused(const std::vector<IdentityChange>& changes);

// "power.R changed since these results were made: sha256 ab12cd34.. -> 5e6f7a8b.."
// (hashes shortened; "is new" / "is gone" for a part only one side has).
std::string describe(const IdentityChange& c);

// "sha256:<hex>" of a file's bytes; throws IoError if it cannot be read.
std::string sha256_of_file(const std::string& path);

}  // namespace rsim::core
