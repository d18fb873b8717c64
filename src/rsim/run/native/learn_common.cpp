#include "rsim/run/native/learn_common.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

#include "rsim/core/error.hpp"

namespace rsim::run::learn {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& item : items) s += (s.empty() ? "" : ", ") + item;
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", v);
  return buf;
}

// Where the user set parameter r: its [grid] column or [args] key, or, for
// a default, the [data] input `data_name`.
core::SourceLocation where(const KernelSetup& s, const ParamRef& r, const std::string& data_name) {
  const grid::JobSpec& spec = s.spec();
  if (r.grid_index >= 0) {
    const grid::Param& p = s.space().param(static_cast<std::size_t>(r.grid_index));
    return {spec.source_path, p.line, "grid." + p.name};
  }
  for (const auto& a : spec.args)
    if (&a.value == r.constant) return {spec.source_path, a.line, "args." + a.name};
  for (const auto& d : spec.data)
    if (d.name == data_name) return {spec.source_path, d.line, "data." + d.name};
  return {spec.source_path, 0, "data." + data_name};
}

bool given(const KernelSetup& s, const ParamRef& r) {
  if (r.grid_index >= 0) return true;
  for (const auto& a : s.spec().args)
    if (&a.value == r.constant) return true;
  return false;
}

// A parameter that shapes the data must be one value for the whole job.
const core::Value& job_constant(const KernelSetup& s, const ParamRef& r) {
  if (r.grid_index >= 0)
    throw core::ConfigError(where(s, r, ""),
                            r.name +
                                " must be the same for every task of a learner (it fixes the data "
                                "each rank prepares once), but it is a [grid] parameter",
                            "set " + r.name + " in [args]; run one job per value");
  return *r.constant;
}

std::uint32_t max_folds(const KernelSetup& s, const ParamRef& r) {
  std::int64_t k = 0;
  if (r.grid_index >= 0) {
    for (const auto& v : s.space().param(static_cast<std::size_t>(r.grid_index)).values)
      k = std::max(k, std::get<std::int64_t>(v));
  } else {
    k = std::get<std::int64_t>(*r.constant);
  }
  return static_cast<std::uint32_t>(k);
}

// Checks and reads the columns of one [data] input.
class ColumnReader {
 public:
  ColumnReader(const KernelSetup& s, const core::DataTable& t) : s_(s), t_(t) {}

  // The numeric column `name` without missing values; `by` is the parameter
  // that named it.
  const std::vector<double>& numeric(const std::string& name, const ParamRef& by) const {
    const core::DataColumn* c = t_.find(name);
    if (!c) {
      std::vector<std::string> have;
      for (const auto& k : t_.columns) have.push_back(k.name);
      throw core::ConfigError(
          where(s_, by, t_.name),
          "[data] " + t_.name + " has no column \"" + name + "\" (named by " + by.name + "); it has " + join(have),
          "name one of its columns in " + by.name);
    }
    if (!c->numeric) {
      std::string example;
      for (const auto& v : c->strings)
        if (!v.empty() && v != "NA") {
          example = v;
          break;
        }
      throw core::ConfigError(where(s_, by, t_.name),
                              "column \"" + name + "\" of [data] " + t_.name + " (named by " + by.name +
                                  ") is not numeric: a value such as \"" + example + "\" is not a number",
                              "give numbers, or leave the column out of " + by.name +
                                  " (code a category as 0/1 "
                                  "columns)");
    }
    for (std::size_t i = 0; i < c->values.size(); ++i)
      if (std::isnan(c->values[i]))
        throw core::ConfigError(where(s_, by, t_.name),
                                "column \"" + name + "\" of [data] " + t_.name + " has a missing value (NA) in row " +
                                    std::to_string(i + 1) + "; the learners take complete data",
                                "remove or impute the rows with missing values");
    return c->values;
  }

 private:
  const KernelSetup& s_;
  const core::DataTable& t_;
};

void check_response(const KernelSetup& s, const ParamRef& by, const core::DataTable& t, const std::string& name,
                    const std::vector<double>& y, Response r) {
  const auto loc = where(s, by, t.name);
  if (r == Response::binary) {
    std::size_t ones = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      if (y[i] != 0 && y[i] != 1)
        throw core::ConfigError(loc,
                                "the response \"" + name + "\" of a logistic model must be 0 or 1, but row " +
                                    std::to_string(i + 1) + " of [data] " + t.name + " has " + number(y[i]),
                                "code the response as 0/1");
      ones += y[i] == 1;
    }
    if (ones < 2 || y.size() - ones < 2)
      throw core::ConfigError(loc,
                              "the response \"" + name + "\" has " + std::to_string(ones) + " ones and " +
                                  std::to_string(y.size() - ones) +
                                  " zeros; a logistic model needs at least two "
                                  "of each",
                              "choose a response with both classes");
  } else if (std::all_of(y.begin(), y.end(), [&](double v) { return v == y.front(); })) {
    throw core::ConfigError(loc, "the response \"" + name + "\" is constant (" + number(y.front()) + ")",
                            "choose a response that varies");
  }
}

std::vector<std::string> predictor_names(const KernelSetup& s, const CommonParams& c, const core::DataTable& t,
                                         const std::string& response, const std::string& fold_column) {
  const std::string list = std::get<std::string>(job_constant(s, c.predictors));
  std::vector<std::string> names;
  if (trim(list).empty()) {
    for (const auto& col : t.columns)
      if (col.numeric && col.name != response && col.name != fold_column) names.push_back(col.name);
    if (names.empty())
      throw core::ConfigError(
          where(s, c.predictors, t.name),
          "[data] " + t.name + " has no numeric column besides the response \"" + response + "\" to use as a predictor",
          "add predictor columns, or name them in predictors");
    return names;
  }
  std::size_t start = 0;
  while (start <= list.size()) {
    const std::size_t comma = std::min(list.find(',', start), list.size());
    const std::string name = trim(list.substr(start, comma - start));
    start = comma + 1;
    const auto loc = where(s, c.predictors, t.name);
    if (name.empty())
      throw core::ConfigError(loc, "predictors = \"" + list + "\" has an empty name",
                              "write column names separated by commas, e.g. predictors = \"x1, x2\"");
    if (name == response)
      throw core::ConfigError(loc, "predictors names the response \"" + response + "\"",
                              "remove " + response + " from predictors");
    if (std::find(names.begin(), names.end(), name) != names.end())
      throw core::ConfigError(loc, "predictors names column \"" + name + "\" twice", "name each column once");
    names.push_back(name);
  }
  return names;
}

// fold_column: integer fold ids 1..K, every fold used, K >= 2.
void read_fold_column(const KernelSetup& s, const CommonParams& c, const ColumnReader& cols, const core::DataTable& t,
                      const std::string& name, Design& d) {
  const std::vector<double>& f = cols.numeric(name, c.fold_column);
  const auto loc = where(s, c.fold_column, t.name);
  double k = 0;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] < 1 || f[i] != std::floor(f[i]) || f[i] > 1e6)
      throw core::ConfigError(loc,
                              "fold column \"" + name + "\" must hold fold numbers 1, 2, ..., K, but row " +
                                  std::to_string(i + 1) + " of [data] " + t.name + " has " + number(f[i]),
                              "number the folds from 1");
    k = std::max(k, f[i]);
  }
  d.fixed_k = static_cast<std::uint32_t>(k);
  d.fixed_fold.resize(f.size());
  std::vector<std::size_t> used(d.fixed_k, 0);
  for (std::size_t i = 0; i < f.size(); ++i) {
    d.fixed_fold[i] = static_cast<std::uint32_t>(f[i]) - 1;
    ++used[d.fixed_fold[i]];
  }
  for (std::uint32_t j = 0; j < d.fixed_k; ++j)
    if (used[j] == 0)
      throw core::ConfigError(loc,
                              "fold column \"" + name + "\" has folds up to " + std::to_string(d.fixed_k) +
                                  " but no row in fold " + std::to_string(j + 1),
                              "number the folds 1, 2, ..., K without gaps");
  if (d.fixed_k < 2)
    throw core::ConfigError(loc, "fold column \"" + name + "\" has a single fold; cross-validation needs two or more",
                            "give the rows fold numbers 1..K with K >= 2");
  if (given(s, c.folds)) {
    const std::uint32_t k_given = max_folds(s, c.folds);
    bool same = k_given == d.fixed_k;
    if (c.folds.grid_index >= 0)
      for (const auto& v : s.space().param(static_cast<std::size_t>(c.folds.grid_index)).values)
        same = same && std::get<std::int64_t>(v) == d.fixed_k;
    if (!same)
      throw core::ConfigError(
          where(s, c.folds, t.name),
          "folds must match the " + std::to_string(d.fixed_k) + " folds of fold column \"" + name + "\"",
          "leave folds out when fold_column is given");
  }
}

}  // namespace

void CommonParams::declare(KernelSetup& s) {
  data = s.param("data", core::ValueType::String, std::string("train"));
  response = s.param("response", core::ValueType::String);
  predictors = s.param("predictors", core::ValueType::String, std::string());
  folds = s.param("folds", core::ValueType::Int, std::int64_t{10});
  fold_column = s.param("fold_column", core::ValueType::String, std::string());
  standardize = s.param("standardize", core::ValueType::Bool, true);
}

void PenaltyParams::declare(KernelSetup& s) {
  alpha = s.param("alpha", core::ValueType::Float);
  s.require(
      alpha, [](double v) { return v >= 0 && v <= 1; }, "0 <= alpha <= 1");
  lambda = s.param("lambda", core::ValueType::Float);
  s.require(
      lambda, [](double v) { return v >= 0 && std::isfinite(v); }, "lambda >= 0, finite");
}

Design build_design(KernelSetup& s, const CommonParams& c, Response r) {
  // KernelSetup sets a kernel up against an empty job (no kernel name, no
  // data) to learn the parameters it takes; there is no data to build then,
  // and throwing would cut that list short.
  if (s.spec().task.kernel.empty() && s.spec().data.empty()) return {};
  const std::string data_name = std::get<std::string>(job_constant(s, c.data));
  const std::string response = std::get<std::string>(job_constant(s, c.response));
  const std::string fold_column = trim(std::get<std::string>(job_constant(s, c.fold_column)));
  const core::DataTable& t = s.data(data_name);
  const ColumnReader cols(s, t);

  Design d;
  d.n = t.rows;
  if (d.n < 3)
    throw core::ConfigError(
        where(s, c.data, t.name),
        "[data] " + t.name + " has " + std::to_string(d.n) + " rows; cross-validation needs at least three",
        "give the data more rows");
  d.y = cols.numeric(response, c.response);
  check_response(s, c.response, t, response, d.y, r);
  for (double v : d.y) d.y_mean += v;
  d.y_mean /= static_cast<double>(d.n);

  d.names = predictor_names(s, c, t, response, fold_column);
  d.p = d.names.size();
  d.z.resize(d.n * d.p);
  d.center.resize(d.p);
  d.scale.resize(d.p);
  d.constant.resize(d.p);
  for (std::size_t j = 0; j < d.p; ++j) {
    const std::vector<double>& x = cols.numeric(d.names[j], c.predictors);
    double mean = 0, ss = 0;
    for (double v : x) mean += v;
    mean /= static_cast<double>(d.n);
    for (double v : x) ss += (v - mean) * (v - mean);
    d.constant[j] = std::all_of(x.begin(), x.end(), [&](double v) { return v == x.front(); });
    d.center[j] = mean;
    d.scale[j] = d.constant[j] ? 1.0 : std::sqrt(ss / static_cast<double>(d.n));
    for (std::size_t i = 0; i < d.n; ++i) d.z[i * d.p + j] = d.constant[j] ? 0.0 : (x[i] - mean) / d.scale[j];
  }

  if (!fold_column.empty()) {
    if (fold_column == response || std::find(d.names.begin(), d.names.end(), fold_column) != d.names.end())
      throw core::ConfigError(where(s, c.fold_column, t.name),
                              "fold column \"" + fold_column + "\" is also the response or a predictor",
                              "use a column of fold numbers that is not part of the model");
    read_fold_column(s, c, cols, t, fold_column, d);
    d.max_k = d.fixed_k;
  } else {
    const double n = static_cast<double>(d.n);
    if (!given(s, c.folds) && max_folds(s, c.folds) > d.n)
      throw core::ConfigError(where(s, c.folds, t.name),
                              "[data] " + t.name + " has " + std::to_string(d.n) + " rows, fewer than the " +
                                  std::to_string(max_folds(s, c.folds)) + " folds of the default",
                              "set folds = " + std::to_string(d.n) + " or fewer in [args]");
    s.require(
        c.folds, [n](double k) { return k >= 2 && k <= n; },
        "2 <= folds <= " + std::to_string(d.n) + " (the rows of [data] " + t.name + ")");
    d.max_k = max_folds(s, c.folds);
  }
  return d;
}

// ---- folds ----

std::uint64_t uniform_below(core::Philox& rng, std::uint64_t m) {
  unsigned __int128 prod = static_cast<unsigned __int128>(rng.next_u64()) * m;
  std::uint64_t low = static_cast<std::uint64_t>(prod);
  if (low < m) {
    const std::uint64_t threshold = (0 - m) % m;
    while (low < threshold) {
      prod = static_cast<unsigned __int128>(rng.next_u64()) * m;
      low = static_cast<std::uint64_t>(prod);
    }
  }
  return static_cast<std::uint64_t>(prod >> 64);
}

void Folds::reserve(const Design& d) {
  perm_.resize(d.n);
  fold_.resize(d.n);
  count_.resize(d.max_k);
}

void Folds::assign(const Design& d, std::uint32_t k, core::Philox& rng) {
  k_ = d.fixed_fold.empty() ? k : d.fixed_k;
  std::fill(count_.begin(), count_.begin() + k_, 0);
  if (!d.fixed_fold.empty()) {
    std::copy(d.fixed_fold.begin(), d.fixed_fold.end(), fold_.begin());
  } else {
    for (std::size_t i = 0; i < d.n; ++i) perm_[i] = static_cast<std::uint32_t>(i);
    for (std::size_t i = d.n; i > 1; --i) std::swap(perm_[i - 1], perm_[uniform_below(rng, i)]);
    for (std::size_t i = 0; i < d.n; ++i) fold_[perm_[i]] = static_cast<std::uint32_t>(i % k);
  }
  for (std::size_t i = 0; i < d.n; ++i) ++count_[fold_[i]];
}

// ---- CV summary ----

double CvSummary::mean() const {
  double s = 0, n = 0;
  for (std::size_t k = 0; k < loss_.size(); ++k) {
    s += static_cast<double>(rows_[k]) * loss_[k];
    n += static_cast<double>(rows_[k]);
  }
  return s / n;
}

double CvSummary::se() const {
  const double m = mean();
  double s = 0, n = 0;
  for (std::size_t k = 0; k < loss_.size(); ++k) {
    s += static_cast<double>(rows_[k]) * (loss_[k] - m) * (loss_[k] - m);
    n += static_cast<double>(rows_[k]);
  }
  return std::sqrt(s / n / static_cast<double>(loss_.size() - 1));
}

// ---- gaussian ----

void GaussianSums::reset(std::size_t p) {
  n = sy = syy = 0;
  sx.assign(p, 0.0);
  sxy.assign(p, 0.0);
  sxx.assign(p * p, 0.0);
  lo.assign(p, std::numeric_limits<double>::infinity());
  hi.assign(p, -std::numeric_limits<double>::infinity());
}

void GaussianSums::add(const double* z, double y) {
  const std::size_t p = sx.size();
  n += 1;
  sy += y;
  syy += y * y;
  for (std::size_t j = 0; j < p; ++j) {
    const double zj = z[j];
    sx[j] += zj;
    sxy[j] += zj * y;
    lo[j] = std::min(lo[j], zj);
    hi[j] = std::max(hi[j], zj);
    double* row = sxx.data() + j * p;
    for (std::size_t l = j; l < p; ++l) row[l] += zj * z[l];
  }
}

void GaussianSums::set_difference(const GaussianSums& all, const GaussianSums& part) {
  n = all.n - part.n;
  sy = all.sy - part.sy;
  syy = all.syy - part.syy;
  for (std::size_t j = 0; j < sx.size(); ++j) {
    sx[j] = all.sx[j] - part.sx[j];
    sxy[j] = all.sxy[j] - part.sxy[j];
  }
  for (std::size_t j = 0; j < sxx.size(); ++j) sxx[j] = all.sxx[j] - part.sxx[j];
}

core::Schema GaussianCvKernel::setup(KernelSetup& s) {
  common_.declare(s);
  declare(s);
  d_ = build_design(s, common_, Response::gaussian);
  const std::size_t p = d_.p;
  yc_.resize(d_.n);
  for (std::size_t i = 0; i < d_.n; ++i) yc_[i] = d_.y[i] - d_.y_mean;
  folds_.reserve(d_);
  cv_.reserve(d_.max_k);
  total_.reset(p);
  for (std::size_t i = 0; i < d_.n; ++i) total_.add(d_.row(i), yc_[i]);
  train_.reset(p);
  fold_sums_.resize(d_.max_k);
  for (auto& f : fold_sums_) f.reset(p);
  prob_.p = p;
  prob_.G.resize(p * p);
  prob_.g.resize(p);
  prob_.mz.resize(p);
  prob_.c.resize(p);
  prob_.active.resize(p);
  b_.resize(p);
  bz_.resize(p);
  bz_all_.resize(p);
  inactive_.resize(p);
  core::Schema fields(kCoef + 1);
  fields[kCvLoss] = {"cv_loss", core::ValueType::Float};
  fields[kCvSe] = {"cv_se", core::ValueType::Float};
  fields[kNonzero] = {"nonzero", core::ValueType::Int};
  fields[kIntercept] = {"intercept", core::ValueType::Float};
  fields[kCoef] = {"coef", core::ValueType::Float, static_cast<std::uint32_t>(p)};
  return fields;
}

void GaussianCvKernel::build_problem(const GaussianSums& sums, bool standardize, const std::vector<char>& exclude) {
  const std::size_t p = d_.p;
  const double m = sums.n;
  GaussianProblem& q = prob_;
  q.m = m;
  q.y_mean = sums.sy / m;
  q.y_var = std::max(0.0, sums.syy / m - q.y_mean * q.y_mean);
  for (std::size_t j = 0; j < p; ++j) {
    q.mz[j] = sums.sx[j] / m;
    const double var = std::max(0.0, sums.sxx[j * p + j] / m - q.mz[j] * q.mz[j]);
    q.active[j] = !exclude[j] && var > 0;
    q.c[j] = standardize ? std::sqrt(var) : 1.0 / d_.scale[j];
    if (!q.active[j]) q.c[j] = 1;
  }
  for (std::size_t j = 0; j < p; ++j) {
    q.g[j] = q.active[j] ? (sums.sxy[j] / m - q.mz[j] * q.y_mean) / q.c[j] : 0.0;
    for (std::size_t l = j; l < p; ++l) {
      const double v = q.active[j] && q.active[l] ? (sums.sxx[j * p + l] / m - q.mz[j] * q.mz[l]) / (q.c[j] * q.c[l])
                                                  : (j == l ? 1.0 : 0.0);
      q.G[j * p + l] = q.G[l * p + j] = v;
    }
  }
}

double GaussianCvKernel::to_z_scale() {
  double intercept = prob_.y_mean;
  for (std::size_t j = 0; j < d_.p; ++j) {
    bz_[j] = prob_.active[j] ? b_[j] / prob_.c[j] : 0.0;
    intercept -= bz_[j] * prob_.mz[j];
  }
  return intercept;
}

void GaussianCvKernel::run(const TaskParams& p, core::Philox& rng, core::RowWriter& out) {
  const std::size_t np = d_.p;
  const bool standardize = p.get_bool(common_.standardize);

  // All rows first, from zero: the fit does not depend on the folds, and it
  // is the warm start of the folds' fits.
  std::copy(d_.constant.begin(), d_.constant.end(), inactive_.begin());
  build_problem(total_, standardize, inactive_);
  std::fill(b_.begin(), b_.end(), 0.0);
  solve(prob_, p, b_.data());
  double intercept = d_.y_mean + to_z_scale();
  std::copy(bz_.begin(), bz_.end(), bz_all_.begin());

  folds_.assign(d_, static_cast<std::uint32_t>(p.get_int(common_.folds)), rng);
  const std::uint32_t k = folds_.k();
  for (std::uint32_t f = 0; f < k; ++f) fold_sums_[f].reset(np);
  for (std::size_t i = 0; i < d_.n; ++i) fold_sums_[folds_.of(i)].add(d_.row(i), yc_[i]);
  cv_.clear();
  for (std::uint32_t f = 0; f < k; ++f) {
    train_.set_difference(total_, fold_sums_[f]);
    for (std::size_t j = 0; j < np; ++j) {  // constant over the training rows?
      double lo = std::numeric_limits<double>::infinity(), hi = -lo;
      for (std::uint32_t g = 0; g < k; ++g)
        if (g != f) lo = std::min(lo, fold_sums_[g].lo[j]), hi = std::max(hi, fold_sums_[g].hi[j]);
      inactive_[j] = lo == hi;
    }
    build_problem(train_, standardize, inactive_);
    for (std::size_t j = 0; j < np; ++j) b_[j] = prob_.active[j] ? bz_all_[j] * prob_.c[j] : 0.0;
    solve(prob_, p, b_.data());
    const double b0 = to_z_scale();
    double sse = 0;
    for (std::size_t i = 0; i < d_.n; ++i) {
      if (folds_.of(i) != f) continue;
      const double* z = d_.row(i);
      double fit = b0;
      for (std::size_t j = 0; j < np; ++j) fit += bz_[j] * z[j];
      sse += (yc_[i] - fit) * (yc_[i] - fit);
    }
    cv_.add(sse / static_cast<double>(folds_.size(f)), folds_.size(f));
  }

  double* coef = out.float_vector(kCoef);
  std::int64_t nonzero = 0;
  for (std::size_t j = 0; j < np; ++j) {
    coef[j] = bz_all_[j] / d_.scale[j];
    intercept -= coef[j] * d_.center[j];
    nonzero += coef[j] != 0;
  }
  out.set_float(kCvLoss, cv_.mean());
  out.set_float(kCvSe, cv_.se());
  out.set_int(kNonzero, nonzero);
  out.set_float(kIntercept, intercept);
  const core::FieldMeta names = {{"element_names", d_.names}};  // coef keeps the predictors' names
  out.returned(kCoef, kCoef, &names);
}

}  // namespace rsim::run::learn
