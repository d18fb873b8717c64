#pragma once
// The CPUs this process may run on (its affinity, as a launcher that binds
// ranks leaves it), and their text form "0,1,5" for gathering them.
#include <string>
#include <vector>

namespace rsim::core {

// Sorted CPU ids; {} if the system does not say.
std::vector<int> allowed_cpus();

std::string cpus_text(const std::vector<int>& cpus);
// The ids of cpus_text(); ids that do not parse are skipped.
std::vector<int> parse_cpus(const std::string& text);

}  // namespace rsim::core
