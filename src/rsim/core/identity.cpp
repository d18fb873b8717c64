#include "rsim/core/identity.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include "rsim/core/error.hpp"
#include "rsim/core/sha256.hpp"

namespace rsim::core {

Identity::Identity(std::vector<IdentityPart> parts) {
  std::map<std::string, IdentityPart> by_name;
  for (auto& p : parts) {
    for (std::string* s : {&p.name, &p.value})  // a tab or line break would break the stored form
      for (char& c : *s)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
    by_name[p.name] = std::move(p);
  }
  for (auto& [name, p] : by_name) parts_.push_back(std::move(p));
}

std::string Identity::encode() const {
  std::string out;
  for (const auto& p : parts_) out += p.name + "\t" + p.value + "\t" + (p.refuse ? "refuse" : "warn") + "\n";
  return out;
}

Identity Identity::decode(std::string_view text) {
  std::vector<IdentityPart> parts;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    const std::size_t t1 = line.find('\t');
    const std::size_t t2 = t1 == std::string_view::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string_view::npos) return Identity();  // not an identity (an older rsim's hash)
    const std::string_view mode = line.substr(t2 + 1);
    if (mode != "refuse" && mode != "warn") return Identity();
    parts.push_back({std::string(line.substr(0, t1)), std::string(line.substr(t1 + 1, t2 - t1 - 1)), mode == "refuse"});
  }
  return Identity(std::move(parts));
}

std::vector<IdentityChange> compare(const Identity& was, const Identity& now) {
  std::map<std::string, IdentityChange> diff;
  for (const auto& p : was.parts()) diff[p.name] = {p.name, p.value, "", p.refuse};
  for (const auto& p : now.parts()) {
    auto [it, added] = diff.try_emplace(p.name, IdentityChange{p.name, "", p.value, p.refuse});
    if (!added) {
      it->second.now = p.value;
      it->second.refuse = p.refuse;
    }
  }
  std::vector<IdentityChange> out;
  for (auto& [name, c] : diff)
    if (c.was != c.now) out.push_back(std::move(c));
  return out;
}

bool any_refused(const std::vector<IdentityChange>& changes) {
  return std::any_of(changes.begin(), changes.end(), [](const IdentityChange& c) { return c.refuse; });
}

namespace {
// "sha256:0123456789abcdef..." -> "sha256 01234567..", other values as they are.
std::string shown(const std::string& v) {
  const std::string prefix = "sha256:";
  if (v.rfind(prefix, 0) == 0) return "sha256 " + v.substr(prefix.size(), 8) + "..";
  return v;
}
}  // namespace

std::string describe(const IdentityChange& c) {
  if (c.was.empty()) return c.name + " is new since these results were made (" + shown(c.now) + ")";
  if (c.now.empty()) return c.name + " was part of the job when these results were made and is gone now";
  const std::string now = shown(c.now);
  const bool both_hashes = shown(c.was).rfind("sha256 ", 0) == 0 && now.rfind("sha256 ", 0) == 0;
  return c.name + " changed since these results were made: " + shown(c.was) + " -> " +
         (both_hashes ? now.substr(7) : now);
}

std::string sha256_of_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read the file to hash it", path, "check that it exists and is readable");
  Sha256 hash;
  std::string block(1 << 16, '\0');
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0)
    hash.update(std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
  if (in.bad()) throw IoError("cannot read the file to hash it", path, "check the disk and the file's permissions");
  return "sha256:" + hash.hex();
}

}  // namespace rsim::core
