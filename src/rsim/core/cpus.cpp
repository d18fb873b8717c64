#include "rsim/core/cpus.hpp"

#include <sched.h>

#include <sstream>

namespace rsim::core {

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (::sched_getaffinity(0, sizeof set, &set) != 0) return out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

std::string cpus_text(const std::vector<int>& cpus) {
  std::string s;
  for (const int c : cpus) s += (s.empty() ? "" : ",") + std::to_string(c);
  return s;
}

std::vector<int> parse_cpus(const std::string& text) {
  std::vector<int> out;
  std::istringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty() && item.find_first_not_of("0123456789") == std::string::npos && item.size() < 7)
      out.push_back(std::stoi(item));
  return out;
}

}  // namespace rsim::core
