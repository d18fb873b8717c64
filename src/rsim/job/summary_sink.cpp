#include "rsim/job/summary_sink.hpp"

#include <cmath>

namespace rsim::job {

namespace {
constexpr std::size_t npos = static_cast<std::size_t>(-1);

bool numeric(const core::Field& f) {
  return f.width == 1 &&
         (f.type == core::ValueType::Int || f.type == core::ValueType::Float || f.type == core::ValueType::Bool);
}

// Row `r` of a numeric column as a double; false if missing (NA or NaN).
bool value_at(const core::ColumnData& col, std::size_t r, double& x) {
  if (const auto* v = std::get_if<std::vector<double>>(&col)) {
    x = (*v)[r];
    return !std::isnan(x);
  }
  if (const auto* v = std::get_if<std::vector<std::int64_t>>(&col)) {
    if ((*v)[r] == core::na_int) return false;
    x = static_cast<double>((*v)[r]);
    return true;
  }
  if (const auto* v = std::get_if<std::vector<std::int8_t>>(&col)) {
    if ((*v)[r] == core::na_bool) return false;
    x = (*v)[r];
    return true;
  }
  return false;
}
}  // namespace

// The sink's field of each of the batch's fields; new numeric fields join
// (with where tasks first returned them, for the field order).
std::vector<std::size_t> SummarySink::map_fields(const core::ResultBatch& b) {
  std::vector<std::size_t> out(b.schema().size(), npos);
  for (std::size_t f = 0; f < out.size(); ++f) {
    const core::Field& field = b.schema()[f];
    if (!numeric(field)) continue;
    const core::FieldOrigin& o = b.origins()[f];
    auto it = index_.find(field.name);
    if (it == index_.end()) {
      it = index_.emplace(field.name, fields_.size()).first;
      fields_.push_back({field.name, o.first_task, o.position});
    }
    io::SummaryField& mine = fields_[it->second];
    if (o.first_task < mine.first_task) {
      mine.first_task = o.first_task;
      mine.position = o.position;
    }
    out[f] = it->second;
  }
  return out;
}

void SummarySink::commit(const core::ResultBatch& batch) {
  of_batch_ = map_fields(batch);
  const auto& errors = batch.errors();
  std::size_t e = 0;
  for (std::size_t r = 0; r < batch.size(); ++r) {
    const std::uint64_t task = batch.tasks()[r];
    while (e < errors.size() && errors[e].task < task) ++e;
    add_row(batch, r, e < errors.size() && errors[e].task == task ? &errors[e] : nullptr);
  }
  writer_.commit(fields_, done_);
  written_ += done_.size();
  done_.clear();
}

void SummarySink::start_block(std::uint64_t task) {
  open_.emplace();
  open_->point = space_.point_of(task);
  open_->block = space_.block_of(task);
  next_task_ = space_.block_first(open_->point, open_->block);
  block_end_ = space_.block_end(open_->point, open_->block);
}

void SummarySink::add_row(const core::ResultBatch& b, std::size_t r, const core::ErrorRecord* error) {
  const std::uint64_t task = b.tasks()[r];
  // A task that does not continue the open block starts a new one; an open
  // block left incomplete (it cannot be, as chunks hold whole blocks) is
  // dropped: not committed, its tasks run again on resume.
  if (!open_ || task != next_task_) start_block(task);
  if (task != next_task_) {  // not the block's first task: a block begun by another rank or run
    open_.reset();
    return;
  }
  io::BlockSummary& s = *open_;
  ++s.tasks;
  s.elapsed += b.elapsed()[r];
  s.warnings += static_cast<std::uint64_t>(std::max(0, b.warnings()[r]));
  if (b.status()[r] != core::TaskStatus::ok) {
    ++s.failed;
    if (!s.has_error && error) {
      s.has_error = true;
      s.error = *error;
    }
  }
  if (s.fields.size() < fields_.size()) s.fields.resize(fields_.size());
  double x = 0;
  for (std::size_t f = 0; f < of_batch_.size(); ++f)
    if (of_batch_[f] != npos && value_at(b.columns()[f], r, x)) s.fields[of_batch_[f]].add(x);
  if (++next_task_ == block_end_) {
    done_.push_back(std::move(s));
    open_.reset();
  }
}

}  // namespace rsim::job
