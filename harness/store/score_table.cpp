#include "harness/store/score_table.h"

#include <fmt/format.h>

#include "harness/store/results_document.h"

namespace moebench::store {
using json = nlohmann::ordered_json;

std::string score_table(const json& results) {
  std::string out = "|Tasks|Version|Filter|n-shot|Metric| |Value| |Stderr|\n"
                    "|-----|------:|------|-----:|------|-|----:|-|-----:|\n";
  auto row = [&](const std::string& name, const json& entry) {
    const std::string alias = entry.value("alias", name);
    const json none = json::object();
    const json version = results.value("versions", none).value(name, json());
    const json shots = results.value("n-shot", none).value(name, json());
    bool first = true;
    for (const auto& [key, value] : entry.items()) {
      if (key.find(',') == std::string::npos || key.find("_stderr,") != std::string::npos) continue;
      if (!value.is_number()) continue;
      const auto [metric, filter] = split_metric_key(key);
      std::string err = "N/A";
      const std::string sk = metric + "_stderr," + filter;
      if (entry.contains(sk) && entry[sk].is_number()) err = fmt::format("{:.4f}", entry[sk].get<double>());
      const json higher = results.value("higher_is_better", none).value(name, none).value(metric, json());
      const std::string arrow = higher == true ? "↑" : higher == false ? "↓" : "";
      out += fmt::format("|{}|{}|{}|{}|{}|{}|{:.4f}|±|{}|\n", first ? alias : "",
                         first && !version.is_null() ? version.dump() : "", filter,
                         first && !shots.is_null() ? shots.dump() : "", metric, arrow,
                         value.get<double>(), err);
      first = false;
    }
  };
  if (results.contains("results"))
    for (const auto& [name, entry] : results.at("results").items()) row(name, entry);
  return out;
}

}  // namespace moebench::store
