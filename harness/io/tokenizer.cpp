#include "harness/io/tokenizer.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "harness/io/model_config.h"  // read_json_file
#include "harness/io/sentencepiece_model.h"
#include "harness/util/atomic_path.h"
#include "harness/util/error.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace moebench::io {

struct Tokenizer::Impl {
  SentencePieceModel model;
  // Control and unknown pieces ("<s>", "</s>", "[INST]"...) by first byte: text
  // that spells one is encoded as that id, as Hugging Face tokenizers do (chat
  // templates rely on it), longest match first.
  std::vector<std::vector<std::pair<std::string, int32_t>>> specials =
      std::vector<std::vector<std::pair<std::string, int32_t>>>(256);

  explicit Impl(SentencePieceModel m) : model(std::move(m)) {
    const auto& pieces = model.pieces();
    for (int32_t id = 0; id < static_cast<int32_t>(pieces.size()); ++id) {
      const auto type = pieces[id].type;
      if ((type == SentencePieceModel::PieceType::Control ||
           type == SentencePieceModel::PieceType::Unknown) && !pieces[id].text.empty()) {
        specials[static_cast<unsigned char>(pieces[id].text[0])].emplace_back(pieces[id].text, id);
      }
    }
    for (auto& list : specials) {
      std::sort(list.begin(), list.end(),
                [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    }
  }

  // Text segments between special-token spellings are encoded on their own
  // (each with SentencePiece's dummy prefix, as legacy Llama tokenizers do).
  std::vector<int32_t> encode(std::string_view text) const {
    std::vector<int32_t> ids;
    size_t segment = 0;
    for (size_t pos = 0; pos < text.size();) {
      const auto& candidates = specials[static_cast<unsigned char>(text[pos])];
      const std::pair<std::string, int32_t>* hit = nullptr;
      for (const auto& c : candidates) {
        if (text.compare(pos, c.first.size(), c.first) == 0) {
          hit = &c;
          break;
        }
      }
      if (!hit) {
        ++pos;
        continue;
      }
      auto part = model.encode(text.substr(segment, pos - segment));
      ids.insert(ids.end(), part.begin(), part.end());
      ids.push_back(hit->second);
      pos += hit->first.size();
      segment = pos;
    }
    auto part = model.encode(text.substr(segment));
    ids.insert(ids.end(), part.begin(), part.end());
    return ids;
  }
};

namespace {

// add_bos_token / add_eos_token from tokenizer_config.json; absent or null
// keeps the LlamaTokenizer default.
bool flag_or(const json& config, const char* key, bool fallback, const std::string& where) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    fail_input(where, "field '{}': expected true or false, got {}", key, it->dump());
  return it->get<bool>();
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl, std::string source, bool add_bos, bool add_eos)
    : impl_(std::move(impl)), source_(std::move(source)), add_bos_(add_bos), add_eos_(add_eos) {}

Tokenizer::~Tokenizer() = default;

std::shared_ptr<const Tokenizer> Tokenizer::from_model_file(const fs::path& tokenizer_model, bool add_bos,
                                                            bool add_eos) {
  std::string where = tokenizer_model.string();
  std::error_code ec;
  if (!fs::is_regular_file(tokenizer_model, ec))
    fail_input(where, "not found (Llama/Mistral models need a SentencePiece tokenizer.model)");
  auto impl = std::make_unique<Impl>(SentencePieceModel::parse(read_file(tokenizer_model), where));
  return std::shared_ptr<const Tokenizer>(new Tokenizer(std::move(impl), where, add_bos, add_eos));
}

std::shared_ptr<const Tokenizer> Tokenizer::load(const fs::path& model_dir) {
  bool add_bos = true, add_eos = false;
  fs::path config_path = model_dir / "tokenizer_config.json";
  std::error_code ec;
  if (fs::exists(config_path, ec)) {
    std::string where = config_path.string();
    json config = read_json_file(config_path);
    if (!config.is_object()) fail_input(where, "expected a JSON object");
    add_bos = flag_or(config, "add_bos_token", add_bos, where);
    add_eos = flag_or(config, "add_eos_token", add_eos, where);
  }
  return from_model_file(model_dir / "tokenizer.model", add_bos, add_eos);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_special_tokens) const {
  std::vector<int32_t> pieces = impl_->encode(text);
  std::vector<int32_t> ids;
  ids.reserve(pieces.size() + 2);
  if (add_special_tokens && add_bos_ && bos_id() >= 0) ids.push_back(bos_id());
  ids.insert(ids.end(), pieces.begin(), pieces.end());
  if (add_special_tokens && add_eos_ && eos_id() >= 0) ids.push_back(eos_id());
  return ids;
}

void Tokenizer::check_id(int32_t id) const {
  if (id < 0 || id >= vocab_size())
    fail_input(source_, "token id {} is out of range (vocab size {})", id, vocab_size());
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::vector<int32_t> kept;
  kept.reserve(ids.size());
  for (int32_t id : ids) {
    check_id(id);
    // A model may mark BOS/EOS as normal pieces; never print them as text.
    if (id == bos_id() || id == eos_id() || id == pad_id() || is_control(id)) continue;
    kept.push_back(id);
  }
  return impl_->model.decode(kept);
}

std::string Tokenizer::id_to_piece(int32_t id) const {
  check_id(id);
  return impl_->model.pieces()[id].text;
}

bool Tokenizer::is_control(int32_t id) const {
  return impl_->model.pieces()[id].type == SentencePieceModel::PieceType::Control;
}

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(impl_->model.pieces().size()); }
int32_t Tokenizer::bos_id() const { return impl_->model.spec().bos_id; }
int32_t Tokenizer::eos_id() const { return impl_->model.spec().eos_id; }
int32_t Tokenizer::pad_id() const { return impl_->model.spec().pad_id; }
int32_t Tokenizer::unk_id() const { return impl_->model.spec().unk_id; }

}  // namespace moebench::io
