#pragma once
// Values as JSON, the same way everywhere rsim prints JSON (`rsim inspect`,
// `rsim --task`): numbers as numbers, R's NA as null, other non-finite
// doubles as the strings "NaN", "Inf" and "-Inf" (JSON has no such numbers).
#include <cstdint>
#include <nlohmann/json.hpp>

#include "rsim/core/value.hpp"

namespace rsim::job {

nlohmann::ordered_json double_json(double x);
nlohmann::ordered_json value_json(const core::Value& v);

}  // namespace rsim::job
