#include "rsim/core/result_batch.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace rsim::core {

ResultBatch::ResultBatch(Schema schema) { reset_schema(std::move(schema)); }

void ResultBatch::reset_schema(Schema schema) {
  if (!empty()) throw std::logic_error("ResultBatch::reset_schema on a non-empty batch");
  schema_ = std::move(schema);
  cols_.clear();
  for (const auto& f : schema_) cols_.push_back(make_column(f.type));
  origins_.assign(schema_.size(), FieldOrigin{});
}

namespace {
// Appends `n` missing values to a column.
void append_na(ColumnData& col, std::size_t n) {
  std::visit(
      [n](auto& c) {
        using T = typename std::decay_t<decltype(c)>::value_type;
        if constexpr (std::is_same_v<T, double>) c.insert(c.end(), n, na_float());
        else if constexpr (std::is_same_v<T, std::int64_t>) c.insert(c.end(), n, na_int);
        else if constexpr (std::is_same_v<T, std::int8_t>) c.insert(c.end(), n, na_bool);
        else if constexpr (std::is_same_v<T, std::string>) c.insert(c.end(), n, std::string(na_string));
        else c.insert(c.end(), n, T{});  // the empty Blob
      },
      col);
}
}  // namespace

RowWriter ResultBatch::begin_row(std::uint64_t task) {
  assert(!open_row_);
  open_row_ = true;
  const std::size_t row = task_.size();
  task_.push_back(task);
  for (std::size_t i = 0; i < cols_.size(); ++i) append_na(cols_[i], schema_[i].width);
  return RowWriter(*this, row);
}

void RowWriter::extend_schema(const Schema& schema) {
  ResultBatch& b = *batch_;
  if (b.schema_.size() == schema.size()) return;
  if (b.schema_.size() > schema.size() || !std::equal(b.schema_.begin(), b.schema_.end(), schema.begin()))
    throw std::logic_error("RowWriter::extend_schema: the batch's fields are not a prefix of the new ones");
  for (std::size_t i = b.schema_.size(); i < schema.size(); ++i) add_field(schema[i]);
}

std::size_t RowWriter::add_field(const Field& f) {
  ResultBatch& b = *batch_;
  b.schema_.push_back(f);
  b.cols_.push_back(make_column(f.type));
  append_na(b.cols_.back(), b.task_.size() * f.width);  // every row so far, the open one included
  b.origins_.emplace_back();
  return b.schema_.size() - 1;
}

void RowWriter::returned(std::size_t field, std::uint32_t position, const FieldMeta* meta) {
  batch_->origins_[field].note(batch_->task_[row_], position, meta);
}

void ResultBatch::end_row(TaskStatus status, double elapsed_s, std::int32_t attempts, std::int32_t warnings,
                          std::int64_t max_rss) {
  assert(open_row_);
  open_row_ = false;
  status_.push_back(status);
  elapsed_.push_back(elapsed_s);
  attempts_.push_back(attempts);
  warnings_.push_back(warnings);
  max_rss_.push_back(max_rss);
}

void TableBatch::clear() {
  task.clear();
  meta_task = FieldOrigin::none;
  for (auto& c : cols) std::visit([](auto& col) { col.clear(); }, c);
}

void TableBatch::note_meta(std::uint64_t t, std::vector<FieldMeta> m) {
  if (t >= meta_task) return;
  meta_task = t;
  meta = std::move(m);
}

void TableBatch::append(const TableBatch& other) {
  if (other.meta_task < meta_task) note_meta(other.meta_task, other.meta);
  task.insert(task.end(), other.task.begin(), other.task.end());
  for (std::size_t i = 0; i < cols.size(); ++i)
    std::visit(
        [&](auto& col) {
          using V = std::decay_t<decltype(col)>;
          const V& src = std::get<V>(other.cols[i]);
          col.insert(col.end(), src.begin(), src.end());
        },
        cols[i]);
}

bool TableBatch::append_widening(const TableBatch& other) {
  const auto joined = widened(schema, other.schema);
  if (!joined) return false;
  for (std::size_t c = 0; c < cols.size(); ++c) widen_column(c, (*joined)[c].type);
  if (*joined == other.schema) {
    append(other);
    return true;
  }
  TableBatch conv = other;
  for (std::size_t c = 0; c < conv.cols.size(); ++c) conv.widen_column(c, (*joined)[c].type);
  append(conv);
  return true;
}

void TableBatch::widen_column(std::size_t c, ValueType to) {
  convert_column(cols[c], to);
  schema[c].type = to;
}

void RowWriter::widen_to_float(std::size_t field) {
  ResultBatch& b = *batch_;
  if (b.schema_[field].type != ValueType::Int) return;
  convert_column(b.cols_[field], ValueType::Float);
  b.schema_[field].type = ValueType::Float;
}

TableBatch& RowWriter::table(const std::string& name) {
  for (auto& [n, t] : batch_->tables_)
    if (n == name) return t;
  batch_->tables_.emplace_back(name, TableBatch{});
  return batch_->tables_.back().second;
}

void ResultBatch::cancel_row() {
  assert(open_row_);
  open_row_ = false;
  const std::uint64_t task = task_.back();
  for (auto& [name, t] : tables_) {  // rows the failed task appended
    std::size_t keep = t.task.size();
    while (keep > 0 && t.task[keep - 1] == task) --keep;
    const std::size_t drop = t.task.size() - keep;
    if (drop == 0) continue;
    t.task.resize(keep);
    for (auto& c : t.cols) std::visit([drop](auto& col) { col.resize(col.size() - drop); }, c);
  }
  task_.pop_back();
  for (std::size_t i = 0; i < cols_.size(); ++i) {
    const std::size_t w = schema_[i].width;
    std::visit([w](auto& col) { col.resize(col.size() - w); }, cols_[i]);
  }
}

void ResultBatch::append_meta(std::uint64_t task, TaskStatus s, double elapsed_s, std::int32_t attempts,
                              std::int32_t warnings, std::int64_t max_rss) {
  task_.push_back(task);
  status_.push_back(s);
  elapsed_.push_back(elapsed_s);
  attempts_.push_back(attempts);
  warnings_.push_back(warnings);
  max_rss_.push_back(max_rss);
}

void ResultBatch::set_meta(Meta m) {
  const std::size_t n = m.task.size();
  if (!task_.empty() || m.status.size() != n || m.elapsed.size() != n || m.attempts.size() != n ||
      m.warnings.size() != n || m.max_rss.size() != n)
    throw std::logic_error("ResultBatch::set_meta: an empty batch and one value per row in each");
  task_ = std::move(m.task);
  status_ = std::move(m.status);
  elapsed_ = std::move(m.elapsed);
  attempts_ = std::move(m.attempts);
  warnings_ = std::move(m.warnings);
  max_rss_ = std::move(m.max_rss);
}

void ResultBatch::clear() {
  task_.clear();
  status_.clear();
  elapsed_.clear();
  attempts_.clear();
  warnings_.clear();
  max_rss_.clear();
  errors_.clear();
  warning_msgs_.clear();
  for (auto& [name, t] : tables_) t.clear();
  for (auto& c : cols_) std::visit([](auto& col) { col.clear(); }, c);
  origins_.assign(schema_.size(), FieldOrigin{});
  open_row_ = false;
}

void ResultBatch::set_origins(std::vector<FieldOrigin> origins) {
  if (origins.size() != schema_.size()) throw std::logic_error("ResultBatch::set_origins: one per field");
  origins_ = std::move(origins);
}

void RowWriter::set_float(std::size_t f, double v) {
  std::get<std::vector<double>>(batch_->cols_[f])[row_] = v;
}
void RowWriter::set_int(std::size_t f, std::int64_t v) {
  std::get<std::vector<std::int64_t>>(batch_->cols_[f])[row_] = v;
}
void RowWriter::set_bool(std::size_t f, bool v) {
  std::get<std::vector<std::int8_t>>(batch_->cols_[f])[row_] = v ? 1 : 0;
}
void RowWriter::set_string(std::size_t f, std::string_view v) {
  std::get<std::vector<std::string>>(batch_->cols_[f])[row_].assign(v);
}
void RowWriter::set_bytes(std::size_t f, std::string_view v) {
  std::get<std::vector<Blob>>(batch_->cols_[f])[row_].bytes.assign(v);
}
std::string& RowWriter::bytes(std::size_t f) { return std::get<std::vector<Blob>>(batch_->cols_[f])[row_].bytes; }
double* RowWriter::float_vector(std::size_t f) {
  const std::size_t w = batch_->schema_[f].width;
  return std::get<std::vector<double>>(batch_->cols_[f]).data() + row_ * w;
}
std::size_t RowWriter::width(std::size_t f) const { return batch_->schema_[f].width; }

}  // namespace rsim::core
