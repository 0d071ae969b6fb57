#include "harness/store/result_rows.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

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
  if (format == RowFormat::Json) return dump(lm_eval_results(scores));
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

nlohmann::json lm_eval_results(const std::vector<ScoreRow>& scores) {
  std::map<std::tuple<int64_t, std::string, std::string>, nlohmann::json> objects;
  for (const auto& s : scores) {
    nlohmann::json& o = objects[{s.run_id, s.model, s.gate_variant}];
    if (o.is_null())
      o = {{"results", nlohmann::json::object()}, {"higher_is_better", nlohmann::json::object()},
           {"n-samples", nlohmann::json::object()},
           {"config", {{"model", "moebench"}, {"model_args", s.model}}},
           {"moebench", {{"run_id", s.run_id}, {"run_key", s.run_key}, {"model", s.model},
                         {"gate_variant", s.gate_variant}}}};
    // "acc,none" -> "acc_stderr,none", as lm-eval names the standard error.
    const size_t comma = s.metric.find(',');
    const std::string name = s.metric.substr(0, comma);
    const std::string filter = comma == std::string::npos ? "" : s.metric.substr(comma);
    nlohmann::json& task = o["results"][s.task];
    task["alias"] = s.task;
    task[s.metric] = json_number(s.value);
    task[name + "_stderr" + filter] = json_number(s.stderr_value);
    o["higher_is_better"][s.task][name] = s.higher_is_better;
    // lm-eval's "effective" counts documents: the largest n of the task's metrics.
    auto& n = o["n-samples"][s.task];
    const int64_t seen = n.is_object() ? n["effective"].get<int64_t>() : 0;
    n = {{"original", s.num_docs}, {"effective", std::max(s.n, seen)}};
  }
  nlohmann::json out = nlohmann::json::array();
  for (auto& [key, o] : objects) out.push_back(std::move(o));
  return out;
}

}  // namespace moebench::store
