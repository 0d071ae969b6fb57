#include "tests/testing/canonical_rows.h"

namespace moebench::store {

std::vector<std::string> canonical_rows(ResultsStore& store, Timestamps times) {
  const bool with_times = times == Timestamps::Compared;
  const std::string run_times = with_times ? "started_at, finished_at," : "";
  const std::string written_at = with_times ? " s.written_at," : "";
  const std::vector<std::string> queries = {
      "SELECT run_key, plan, plan_hash, status, " + run_times +
          " git_revision, device, dtype, settings FROM runs ORDER BY run_key",
      "SELECT name, content_hash, gate_variant, path, recipe, base_model, gate_stats FROM models "
      "ORDER BY 1, 2, 3",
      "SELECT m.name, x.expert, x.source_model, x.label, x.positive_prompts FROM model_experts x"
      " JOIN models m USING (model_id) ORDER BY 1, 2",
      "SELECT name, spec_hash, suite, num_docs, expected_expert FROM tasks ORDER BY 1, 2",
      "SELECT r.run_key, m.name, t.name, s.doc_id, s.prompt, s.target, s.responses, s.filtered,"
      " s.metrics, s.routing_tokens, s.routing_logged, hex(s.routing_segments)," +
          written_at +
          " s.routing_decode, s.routing_pieces"
          " FROM samples s JOIN runs r USING (run_id) JOIN models m USING (model_id)"
          " JOIN tasks t USING (task_id) ORDER BY 1, 2, 3, 4",
      "SELECT r.run_key, m.name, t.name, s.doc_id, g.layer, g.top_k, g.tokens, g.compression,"
      " hex(g.expert_ids), hex(g.weights) FROM routing g JOIN samples s USING (sample_id)"
      " JOIN runs r USING (run_id) JOIN models m USING (model_id) JOIN tasks t USING (task_id)"
      " ORDER BY 1, 2, 3, 4, 5",
      "SELECT run_key, model, task, metric, value, stderr, n FROM score_rows ORDER BY 1, 2, 3, 4",
      "SELECT r.run_key, m.name, u.name, x.metric, x.value, x.stderr, x.n, x.tasks FROM "
      "suite_scores x"
      " JOIN runs r USING (run_id) JOIN models m USING (model_id) JOIN suites u USING (suite_id)"
      " ORDER BY 1, 2, 3, 4",
      "SELECT r.run_key, m.name, t.name, e.layer, e.expert, e.tokens, e.first_choice,"
      " e.weight_mass FROM routing_expert_stats e JOIN runs r USING (run_id)"
      " JOIN models m USING (model_id) JOIN tasks t USING (task_id) ORDER BY 1, 2, 3, 4, 5",
      "SELECT r.run_key, m.name, t.name, l.layer, l.tokens, l.pairs, l.same_first, l.same_topk,"
      " l.entropy_bits, l.weighted_entropy_bits FROM routing_layer_stats l"
      " JOIN runs r USING (run_id) JOIN models m USING (model_id) JOIN tasks t USING (task_id)"
      " ORDER BY 1, 2, 3, 4",
      "SELECT model_id IS NOT NULL, suite, layer, tokens, agreement FROM suite_routing_agreement"
      " ORDER BY 2, 3, 4"};
  std::vector<std::string> rows;
  for (const std::string& sql : queries) {
    auto q = store.database().prepare(sql.c_str());
    while (q.step()) {
      std::string row;
      for (int c = 0; c < q.column_count(); ++c) row += q.text(c) + "|";
      rows.push_back(row);
    }
    rows.push_back("----");
  }
  return rows;
}

}  // namespace moebench::store
