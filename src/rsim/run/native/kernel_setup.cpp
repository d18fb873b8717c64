#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "rsim/core/error.hpp"
#include "rsim/core/field_types.hpp"
#include "rsim/run/native/builtin_kernels.hpp"
#include "rsim/run/native/kernel.hpp"

namespace rsim::run {

namespace {

// An empty job: setting a built-in kernel up against it only records the
// parameters the kernel declares, so that errors can list them all.
const grid::JobSpec& probe_spec() {
  static const grid::JobSpec spec;
  return spec;
}
const grid::TaskSpace& probe_space() {
  static const grid::TaskSpace space(probe_spec());
  return space;
}
bool is_probe(const grid::JobSpec& spec) { return &spec == &probe_spec(); }

std::string join(const std::vector<std::string>& items, bool quote = false) {
  std::string s;
  for (const auto& item : items) {
    if (!s.empty()) s += ", ";
    s += quote ? "\"" + item + "\"" : item;
  }
  return s;
}

// A value as the user wrote it: 0.1, not 0.10000000000000001.
std::string show(const core::Value& v) {
  if (const double* d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", *d);
    return buf;
  }
  return core::to_string(v);
}

std::string example_of(core::ValueType t, const std::string& name) {
  switch (t) {
    case core::ValueType::Int: return "write whole numbers without a decimal point, e.g. " + name + " = 20";
    case core::ValueType::Float: return "write numbers without quotes, e.g. " + name + " = 0.5";
    case core::ValueType::String: return "write quoted text, e.g. " + name + " = \"text\"";
    case core::ValueType::Bool: return "write true or false, e.g. " + name + " = true";
    default: break;  // parameters are never bytes
  }
  return "";
}

// Levenshtein distance, for "did you mean" hints on short identifiers.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

// The candidate closest to `word`, if it is close enough to be a likely typo.
std::string closest(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  std::size_t best_d = std::max<std::size_t>(1, std::min<std::size_t>(2, word.size() / 2)) + 1;
  for (const auto& c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

std::string kernel_label(const grid::JobSpec& spec) {
  return spec.task.kernel.empty() ? std::string("the kernel") : "kernel " + spec.task.kernel;
}

// Where a parameter's value was written: a [grid] column, an [args] constant,
// or nowhere (the kernel's default).
struct Origin {
  bool found = false;
  core::SourceLocation loc;
};

Origin origin_of(const grid::JobSpec& spec, const grid::TaskSpace& space, const ParamRef& r) {
  if (r.grid_index >= 0) {
    const grid::Param& p = space.param(static_cast<std::size_t>(r.grid_index));
    return {true, {spec.source_path, p.line, "grid." + p.name}};
  }
  for (const auto& a : spec.args)
    if (&a.value == r.constant) return {true, {spec.source_path, a.line, "args." + a.name}};
  return {};
}

// Every value a parameter takes over the job.
std::vector<const core::Value*> values_of(const grid::TaskSpace& space, const ParamRef& r) {
  std::vector<const core::Value*> out;
  if (r.grid_index >= 0) {
    for (const auto& v : space.param(static_cast<std::size_t>(r.grid_index)).values) out.push_back(&v);
  } else if (r.constant) {
    out.push_back(r.constant);
  }
  return out;
}

core::Value placeholder(core::ValueType t) {
  switch (t) {
    case core::ValueType::Int: return std::int64_t{0};
    case core::ValueType::Float: return 0.0;
    case core::ValueType::String: return std::string();
    case core::ValueType::Bool: return false;
    default: break;  // parameters are never bytes
  }
  return 0.0;
}

// Throws the ConfigError for a parameter that neither [grid] nor [args] sets.
[[noreturn]] void missing_parameter(const grid::JobSpec& spec, const grid::TaskSpace& space,
                                    const std::string& name, core::ValueType type,
                                    const std::vector<std::string>& takes) {
  std::vector<std::string> given;
  for (const auto& p : space.params()) given.push_back(p.name);
  for (const auto& a : spec.args) given.push_back(a.name);
  std::string fix = "add " + name + " to [grid] or [args]";
  const std::string typo = closest(name, given);
  if (!typo.empty() && std::find(takes.begin(), takes.end(), typo) == takes.end())
    fix = "rename " + typo + " to " + name;
  throw core::ConfigError({spec.source_path, 0, "grid." + name},
                          kernel_label(spec) + " needs parameter \"" + name + "\" (" + core::type_name(type) +
                              "), but neither [grid] nor [args] sets it; it takes " + join(takes),
                          fix);
}

// Throws a ConfigError naming both types if a value of `r` has the wrong one.
void check_types(const grid::JobSpec& spec, const grid::TaskSpace& space, const ParamRef& r) {
  for (const core::Value* v : values_of(space, r)) {
    if (core::accepts(r.type, core::type_of(*v))) continue;
    const Origin o = origin_of(spec, space, r);
    throw core::ConfigError(o.loc,
                            kernel_label(spec) + " expects " + r.name + " to be " +
                                (r.type == core::ValueType::Int ? "an " : "a ") + core::type_name(r.type) +
                                ", but " + o.loc.key + " gives a " + core::type_name(core::type_of(*v)) +
                                " (" + show(*v) + ")",
                            example_of(r.type, r.name));
  }
}

}  // namespace

KernelSetup::KernelSetup(const grid::JobSpec& spec, const grid::TaskSpace& space,
                         const std::vector<core::DataTable>* data)
    : spec_(&spec), space_(&space), data_(data) {}

const core::DataTable& KernelSetup::data(const std::string& name) const {
  std::string have;
  if (data_)
    for (const auto& t : *data_) {
      if (t.name == name) return t;
      have += (have.empty() ? "" : ", ") + t.name;
    }
  throw core::ConfigError({spec_->source_path, 0, "data." + name},
                          "the kernel needs a [data] input called \"" + name + "\"" +
                              (have.empty() ? std::string(" and the job has none") : "; the job has " + have),
                          "add [data] " + name + " = \"file.csv\" to the grid.toml");
}

const std::vector<double>& KernelSetup::numeric_column(const std::string& name, const std::string& column) const {
  const core::DataTable& t = data(name);
  const core::DataColumn* c = t.find(column);
  if (!c) {
    std::string cols;
    for (const auto& k : t.columns) cols += (cols.empty() ? "" : ", ") + k.name;
    throw core::ConfigError({spec_->source_path, 0, "data." + name},
                            "the [data] input " + name + " has no column \"" + column + "\" (it has " + cols + ")",
                            "name an existing column");
  }
  if (!c->numeric)
    throw core::ConfigError({spec_->source_path, 0, "data." + name},
                            "column \"" + column + "\" of [data] " + name + " is not numeric (a value such as \"" +
                                (c->strings.empty() ? std::string() : c->strings.front()) + "\" is not a number)",
                            "give numbers (NA or empty for missing)");
  return c->values;
}

ParamRef KernelSetup::param(const std::string& name, core::ValueType type, std::optional<core::Value> def) {
  if (std::find(declared_.begin(), declared_.end(), name) != declared_.end())
    throw std::logic_error("kernel parameter \"" + name + "\" declared twice");
  if (def && !core::accepts(type, core::type_of(*def)))
    throw std::logic_error("default of kernel parameter \"" + name + "\" is not a " + core::type_name(type));
  declared_.push_back(name);

  ParamRef ref;
  ref.type = type;
  ref.name = name;
  if (is_probe(*spec_)) {
    defaults_.push_back(std::make_unique<core::Value>(def ? *def : placeholder(type)));
    ref.constant = defaults_.back().get();
    return ref;
  }

  const int j = space_->find(name);
  const auto arg = std::find_if(spec_->args.begin(), spec_->args.end(),
                                [&](const grid::NamedValue& a) { return a.name == name; });
  if (j >= 0 && arg != spec_->args.end())
    throw core::ConfigError({spec_->source_path, arg->line, "args." + name},
                            name + " is set both in [grid] and in [args]", "keep only one of the two");

  if (j >= 0) {
    ref.grid_index = j;
  } else if (arg != spec_->args.end()) {
    ref.constant = &arg->value;
  } else if (def) {
    defaults_.push_back(std::make_unique<core::Value>(std::move(*def)));
    ref.constant = defaults_.back().get();
    return ref;
  } else {
    // Missing: list everything the kernel takes, learnt by setting up a fresh
    // copy of a built-in kernel against the empty probe job.
    std::vector<std::string> takes = declared_;
    const KernelRegistry& builtin = KernelRegistry::builtin();
    if (spec_->task.plugin.empty() && builtin.has(spec_->task.kernel)) {
      try {
        KernelSetup probe(probe_spec(), probe_space());
        builtin.create(spec_->task.kernel)->setup(probe);
        takes = probe.declared_;
      } catch (const std::exception&) {
        // keep the parameters declared so far
      }
    }
    missing_parameter(*spec_, *space_, name, type, takes);
  }

  check_types(*spec_, *space_, ref);
  return ref;
}

ParamRef KernelSetup::choice(const std::string& name, const std::vector<std::string>& choices,
                             std::optional<std::string> def) {
  if (def && std::find(choices.begin(), choices.end(), *def) == choices.end())
    throw std::logic_error("default of kernel parameter \"" + name + "\" is not one of its choices");
  std::optional<core::Value> dv;
  if (def) dv = core::Value(std::move(*def));
  ParamRef ref = param(name, core::ValueType::String, std::move(dv));
  if (is_probe(*spec_)) return ref;

  for (const core::Value* v : values_of(*space_, ref)) {
    const std::string& s = std::get<std::string>(*v);
    if (std::find(choices.begin(), choices.end(), s) != choices.end()) continue;
    const Origin o = origin_of(*spec_, *space_, ref);
    throw core::ConfigError(o.loc,
                            name + " = \"" + s + "\" is not a choice of " + kernel_label(*spec_) +
                                "; the choices are " + join(choices, true),
                            "use one of " + join(choices, true));
  }
  return ref;
}

void KernelSetup::require(const ParamRef& r, const std::function<bool(double)>& ok,
                          const std::string& requirement) {
  if (is_probe(*spec_)) return;
  if (r.type != core::ValueType::Int && r.type != core::ValueType::Float)
    throw std::logic_error("KernelSetup::require on non-numeric parameter \"" + r.name + "\"");
  for (const core::Value* v : values_of(*space_, r)) {
    const double x = core::type_of(*v) == core::ValueType::Int
                         ? static_cast<double>(std::get<std::int64_t>(*v))
                         : std::get<double>(*v);
    if (ok(x)) continue;
    const Origin o = origin_of(*spec_, *space_, r);
    if (!o.found)
      throw std::logic_error("default of kernel parameter \"" + r.name + "\" violates " + requirement);
    throw core::ConfigError(
        o.loc,
        kernel_label(*spec_) + " requires " + requirement + ", but " + o.loc.key + " gives " + show(*v),
        "change " + o.loc.key + " so that " + requirement);
  }
}

void KernelSetup::check_all_used(const std::string& kernel_name) const {
  std::vector<core::SourceLocation> unused;
  std::vector<std::string> names;
  auto note = [&](const std::string& name, std::uint32_t line, const char* section) {
    if (std::find(declared_.begin(), declared_.end(), name) != declared_.end()) return;
    unused.push_back({spec_->source_path, line, std::string(section) + "." + name});
    names.push_back(name);
  };
  for (const auto& p : space_->params()) note(p.name, p.line, "grid");
  for (const auto& a : spec_->args) note(a.name, a.line, "args");
  if (unused.empty()) return;

  std::string what = "kernel " + kernel_name + " has no parameter" + (names.size() > 1 ? "s " : " ") +
                     join(names, true) + "; it " +
                     (declared_.empty() ? "takes no parameters" : "takes " + join(declared_));
  const std::string& first = names.front();
  const std::string section = unused.front().key.substr(0, 4) == "grid" ? "[grid]" : "[args]";
  const std::string typo = closest(first, declared_);
  std::string fix = typo.empty() ? "remove " + first + " from " + section
                                 : "did you mean " + typo + "? rename " + first + " in " + section;
  throw core::ConfigError(unused.front(), what, fix);
}

KernelRegistry& KernelRegistry::builtin() {
  static KernelRegistry registry = [] {
    KernelRegistry r;
    register_ttest_power(r);
    register_mean_ci_coverage(r);
    register_calibration_kernels(r);
    register_ridge_cv(r);
    register_enet_cv(r);
    register_logistic_cv(r);
    return r;
  }();
  return registry;
}

void KernelRegistry::add(const std::string& name, const std::string& summary, KernelFactory f) {
  if (name.empty() || !f) throw std::logic_error("KernelRegistry::add needs a name and a factory");
  if (has(name))
    throw core::BackendError("kernel \"" + name + "\" is registered twice", "kernel registry",
                             "give one of the two kernels another name");
  entries_.emplace(name, Entry{summary, std::move(f)});
}

std::unique_ptr<Kernel> KernelRegistry::create(const std::string& name) const {
  const auto it = entries_.find(name);
  if (it == entries_.end()) {
    std::vector<std::string> known;
    for (const auto& e : entries_) known.push_back(e.first);
    const std::string typo = closest(name, known);
    throw core::ConfigError({"", 0, "task.kernel"},
                            "unknown kernel \"" + name + "\"; known kernels: " + join(known),
                            typo.empty() ? "set kernel to one of " + join(known, true)
                                         : "did you mean kernel = \"" + typo + "\"?");
  }
  std::unique_ptr<Kernel> k = it->second.factory();
  if (!k)
    throw core::BackendError("the factory of kernel \"" + name + "\" returned no kernel", "kernel registry",
                             "fix the kernel's registration");
  return k;
}

std::vector<std::string> KernelRegistry::describe() const {
  std::vector<std::string> lines;
  for (const auto& e : entries_) lines.push_back(e.first + ": " + e.second.summary);
  return lines;
}

}  // namespace rsim::run
