// Opens the models of a plan one after another. A recipe's merged weights stay
// loaded while the next model is the same recipe or a variant of it, so an
// ablation reads each expert once and builds every variant from its gates
// alone: the variant's only cost besides its evaluation is computing those.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "harness/jobs/open_model.h"
#include "harness/jobs/run_plan.h"
#include "harness/merge/merge_inputs.h"

namespace moebench::model {
struct ModelWeights;
}  // namespace moebench::model

namespace moebench::jobs {

struct OpenedModel {
  std::shared_ptr<model::LanguageModel> lm;
  double load_seconds = 0;  // resolving, reading and assembling weights (0 when kept from the last model)
  double gate_seconds = 0;  // computing this model's gates (a recipe's or a variant's)
};

class ModelLoader {
 public:
  explicit ModelLoader(OpenModelOptions options) : options_(std::move(options)) {}
  ModelLoader(const ModelLoader&) = delete;
  ModelLoader& operator=(const ModelLoader&) = delete;

  // `m` as open_model() would open it; recipes (and their variants) without a
  // gates file go through the kept weights. InputError as open_model.
  OpenedModel open(const PlanModel& m);
  // Drops the kept weights (before a model of another kind is loaded).
  void release();

 private:
  struct Kept;
  Kept& recipe_weights(const std::string& path, double* seconds);

  OpenModelOptions options_;
  std::shared_ptr<Kept> kept_;
};

}  // namespace moebench::jobs
