#include "harness/store/result_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace moebench::store {

namespace {

std::string number(double v) { return std::isnan(v) ? "" : fmt::format("{:.6g}", v); }

nlohmann::json json_number(double v) { return std::isnan(v) ? nlohmann::json("N/A") : nlohmann::json(v); }

std::string csv_line(const std::vector<std::string>& fields) {
  std::string line;
  for (size_t i = 0; i < fields.size(); ++i) line += (i ? "," : "") + csv_field(fields[i]);
  return line + "\n";
}

// Columns padded to their widest cell, two spaces apart.
std::string table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], row[c].size());
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c)
      line += c + 1 == row.size() ? row[c] : fmt::format("{:<{}}  ", row[c], width[c]);
    out += line + "\n";
  }
  return out;
}

std::string dump(const nlohmann::json& j) {
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (char c : value) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string format_runs(const std::vector<RunRow>& runs, RowFormat format) {
  const std::vector<std::string> header = {"run_id", "run_key", "status", "started_at",
                                           "finished_at", "plan", "git_revision", "host",
                                           "device", "dtype", "shard"};
  if (format == RowFormat::Json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : runs)
      out.push_back({{"run_id", r.run_id}, {"run_key", r.run_key}, {"status", r.status},
                     {"started_at", r.started_at}, {"finished_at", r.finished_at},
                     {"plan", r.plan}, {"plan_hash", r.plan_hash},
                     {"git_revision", r.git_revision}, {"host", r.host}, {"device", r.device},
                     {"dtype", r.dtype}, {"shard", r.shard}, {"settings", r.settings}});
    return dump(out);
  }
  std::vector<std::vector<std::string>> rows = {header};
  for (const auto& r : runs)
    rows.push_back({std::to_string(r.run_id), r.run_key, r.status, r.started_at, r.finished_at,
                    r.plan, r.git_revision, r.host, r.device, r.dtype, r.shard});
  if (format == RowFormat::Table) return table(rows);
  std::string out;
  for (const auto& row : rows) out += csv_line(row);
  return out;
}

std::string format_scores(const std::vector<ScoreRow>& scores, RowFormat format) {
  if (format == RowFormat::Json) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : scores)
      out.push_back({{"run_id", s.run_id}, {"run_key", s.run_key}, {"model", s.model},
                     {"gate_variant", s.gate_variant}, {"suite", s.suite}, {"task", s.task},
                     {"metric", s.metric}, {"value", json_number(s.value)},
                     {"stderr", json_number(s.stderr_value)}, {"n", s.n},
                     {"num_docs", s.num_docs}, {"higher_is_better", s.higher_is_better}});
    return dump(out);
  }
  std::vector<std::vector<std::string>> rows = {{"run_id", "run_key", "model", "gate_variant",
                                                 "suite", "task", "metric", "value", "stderr",
                                                 "n", "higher_is_better"}};
  for (const auto& s : scores)
    rows.push_back({std::to_string(s.run_id), s.run_key, s.model, s.gate_variant, s.suite,
                    s.task, s.metric, number(s.value), number(s.stderr_value),
                    std::to_string(s.n), s.higher_is_better ? "1" : "0"});
  if (format == RowFormat::Csv) {
    std::string out;
    for (const auto& row : rows) out += csv_line(row);
    return out;
  }
  for (auto& row : rows) {  // the table shows value ± stderr in one column
    if (&row != &rows.front() && !row[8].empty()) row[7] += " ± " + row[8];
    row.erase(row.begin() + 8);
    row.erase(row.begin() + 9);  // higher_is_better
  }
  return table(rows);
}

}  // namespace moebench::store
