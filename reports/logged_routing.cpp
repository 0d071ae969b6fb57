#include "reports/logged_routing.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "harness/util/error.h"

namespace moebench::reports {
namespace {

// Expert ids are stored in at most two bytes (routing_codec).
constexpr int32_t kMaxExperts = 65536;

double round2(double v) { return std::round(v * 100.0) / 100.0; }

void ensure_shape(PhaseCounts& c, size_t layers, int32_t experts) {
  if (c.first.empty()) c.first.assign(layers, std::vector<int64_t>(experts, 0));
}

// What the rest reads without bounds checks, checked once: the segments
// cover exactly the tokens every layer routed, and all layers share one
// expert count. A damaged database fails here, naming the sample.
void check_shape(const store::SampleRouting& r, const std::string& where) {
  const int64_t tokens = r.tokens();
  int64_t covered = 0;
  for (size_t s = 0; s < r.segments.size(); ++s) {
    const int64_t n = r.segments[s].tokens;
    if (n < 0 || n > tokens)
      fail_input(where, "routing_segments: segment {} holds {} tokens, but the layers routed {}", s, n,
                 tokens);
    covered += n;
  }
  for (const auto& layer : r.layers) {
    if (layer.tokens() != covered)
      fail_input(where, "routing layer {} routed {} tokens, but routing_segments cover {}",
                 layer.layer, layer.tokens(), covered);
    if (layer.num_experts > kMaxExperts)
      fail_input(where, "routing layer {} has num_experts {}, more than {}", layer.layer,
                 layer.num_experts, kMaxExperts);
    if (layer.num_experts != r.layers.front().num_experts)
      fail_input(where, "routing layer {} has num_experts {}, layer {} has {}", layer.layer,
                 layer.num_experts, r.layers.front().layer, r.layers.front().num_experts);
  }
}

// Token i of the sample belongs to a decode segment?
std::vector<bool> decode_flags(const store::SampleRouting& r) {
  std::set<int32_t> decode(r.decode_segments.begin(), r.decode_segments.end());
  std::vector<bool> out;
  for (size_t s = 0; s < r.segments.size(); ++s) {
    out.insert(out.end(), static_cast<size_t>(r.segments[s].tokens),
               decode.count(static_cast<int32_t>(s)) > 0);
  }
  return out;
}

// The token view of one document: the last tokens of its first request.
nlohmann::ordered_json token_document(const SuiteRef& suite, const std::string& task,
                                      int64_t doc_id, const store::SampleRouting& r,
                                      const std::vector<bool>& decode, int max_tokens) {
  int64_t begin = 0, end = 0, offset = 0;
  for (const auto& seg : r.segments) {
    if (seg.request == 0) {
      if (end == 0) begin = offset;
      end = offset + seg.tokens;
    }
    offset += seg.tokens;
  }
  begin = std::max(begin, end - max_tokens);
  auto pieces = nlohmann::ordered_json::array();
  auto flags = nlohmann::ordered_json::array();
  for (int64_t t = begin; t < end; ++t) {
    if (static_cast<size_t>(t) < r.pieces.size()) pieces.push_back(r.pieces[t]);
    flags.push_back(static_cast<bool>(decode[t]));
  }
  auto layers = nlohmann::ordered_json::array();
  for (const auto& layer : r.layers) {
    auto tokens = nlohmann::ordered_json::array();
    for (int64_t t = begin; t < end; ++t) {
      auto choices = nlohmann::ordered_json::array();
      for (int j = 0; j < layer.top_k; ++j) {
        choices.push_back({layer.expert_ids[t * layer.top_k + j],
                           round2(layer.weights[t * layer.top_k + j])});
      }
      tokens.push_back(std::move(choices));
    }
    layers.push_back(std::move(tokens));
  }
  return {{"suite", suite.name}, {"task", task},       {"doc_id", doc_id},
          {"pieces", pieces},    {"decode", flags},    {"routing", layers},
          {"first_token", begin}};
}

}  // namespace

LoggedRouting read_logged_routing(const ReportScope& scope, const ModelRef& merge,
                                  const SuiteRef& suite, TokenViewLimits limits) {
  auto& db = scope.store->database();
  LoggedRouting out;
  auto q = db.prepare(
      "SELECT x.task_id, t.name, x.doc_id FROM samples x JOIN tasks t USING (task_id)"
      " WHERE x.run_id = ? AND x.model_id = ? AND t.suite = ? AND x.routing_logged = 1"
      " ORDER BY t.name, x.doc_id");
  q.bind_all(scope.run.run_id, merge.model_id, suite.name);
  struct Row { int64_t task_id; std::string task; int64_t doc_id; };
  std::vector<Row> rows;
  while (q.step()) rows.push_back({q.int64(0), q.text(1), q.int64(2)});

  int shown = 0;
  for (const auto& row : rows) {
    const std::string where = fmt::format("{}: routing of model '{}', task '{}', doc_id {}",
                                          db.file(), merge.name, row.task, row.doc_id);
    store::SampleRouting r;
    try {
      r = scope.store->stored_routing(scope.run.run_id, merge.model_id, row.task_id, row.doc_id);
    } catch (const store::StoreError& e) {  // it names the doc_id: add the model and task
      throw store::StoreError(
          fmt::format("{} (model '{}', task '{}')", e.what(), merge.name, row.task), e.code());
    }
    if (r.empty()) continue;
    check_shape(r, where);
    if (out.layers.empty()) {
      for (const auto& l : r.layers) out.layers.push_back(l.layer);
      out.top_k = r.layers.front().top_k;
      out.num_experts = r.layers.front().num_experts;
    }
    if (r.layers.size() != out.layers.size() || r.layers.front().num_experts != out.num_experts) {
      continue;  // a different shape under the same name: not comparable
    }
    const auto decode = decode_flags(r);
    ensure_shape(out.prefill, out.layers.size(), out.num_experts);
    ensure_shape(out.decode, out.layers.size(), out.num_experts);
    DocRouting doc{row.task, row.doc_id, std::vector<double>(out.num_experts, 0.0), -1, {}};
    const int64_t tokens = r.layers.front().tokens();
    for (int64_t t = 0; t < tokens; ++t) (decode[t] ? out.decode : out.prefill).tokens += 1;
    for (size_t li = 0; li < r.layers.size(); ++li) {
      const auto& layer = r.layers[li];
      std::vector<double> mass(out.num_experts, 0.0);
      for (int64_t t = 0; t < tokens; ++t) {
        auto& phase = decode[t] ? out.decode : out.prefill;
        ++phase.first[li][layer.expert_ids[t * layer.top_k]];
        for (int j = 0; j < layer.top_k; ++j) {
          mass[layer.expert_ids[t * layer.top_k + j]] += layer.weights[t * layer.top_k + j];
        }
      }
      doc.favoured_by_layer.push_back(
          static_cast<int>(std::max_element(mass.begin(), mass.end()) - mass.begin()));
      for (int e = 0; e < out.num_experts; ++e) doc.share[e] += mass[e];
    }
    double total = 0;
    for (double v : doc.share) total += v;
    for (double& v : doc.share) v = total > 0 ? v / total : 0;
    doc.favoured = static_cast<int>(std::max_element(doc.share.begin(), doc.share.end()) -
                                    doc.share.begin());
    out.documents.push_back(std::move(doc));

    const int64_t cost = std::min<int64_t>(tokens, limits.tokens_per_document) *
                         static_cast<int64_t>(r.layers.size());
    if (shown < limits.documents && (!limits.token_layers_left || *limits.token_layers_left >= cost)) {
      out.token_documents.push_back(
          token_document(suite, row.task, row.doc_id, r, decode, limits.tokens_per_document));
      if (limits.token_layers_left) *limits.token_layers_left -= cost;
      ++shown;
    }
  }
  return out;
}

}  // namespace moebench::reports
