#include "harness/io/tokenizer.h"

#include <algorithm>
#include <climits>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "harness/io/json_input.h"
#include "harness/io/sentencepiece_model.h"
#include "harness/util/file_input.h"
#include "harness/util/error.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace moebench::io {

struct Tokenizer::Impl {
  SentencePieceModel model;
  // Tokens beyond tokenizer.model's pieces (ChatML's "<|im_start|>" = 32001...),
  // from tokenizer_config.json's added_tokens_decoder or added_tokens.json.
  std::map<int32_t, AddedToken> added;
  int32_t vocab_size;
  // Control and unknown pieces ("<s>", "</s>", "[INST]"...) and added tokens by
  // first byte: text that spells one is encoded as that id, as Hugging Face
  // tokenizers do (chat templates rely on it), longest match first.
  std::vector<std::vector<std::pair<std::string, int32_t>>> specials =
      std::vector<std::vector<std::pair<std::string, int32_t>>>(256);

  explicit Impl(SentencePieceModel m)
      : model(std::move(m)), vocab_size(static_cast<int32_t>(model.pieces().size())) {
    const auto& pieces = model.pieces();
    for (int32_t id = 0; id < static_cast<int32_t>(pieces.size()); ++id) {
      const auto type = pieces[id].type;
      if (type == SentencePieceModel::PieceType::Control || type == SentencePieceModel::PieceType::Unknown)
        add_spelling(pieces[id].text, id);
    }
  }

  void add_spelling(const std::string& text, int32_t id) {
    if (text.empty()) return;
    auto& list = specials[static_cast<unsigned char>(text[0])];
    for (const auto& entry : list)
      if (entry.first == text) return;
    list.emplace_back(text, id);
    std::stable_sort(list.begin(), list.end(),
                     [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
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

// "bos_token": "<s>" or {"content": "<s>", ...}; empty when absent or null.
std::string token_content(const json& value, const std::string& where, const std::string& field) {
  if (value.is_null()) return "";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string())
    return value["content"].get<std::string>();
  fail_input(where, "field '{}': expected a token string or an object with \"content\", got {}", field,
             value.dump());
}

}  // namespace

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl, std::string source, bool add_bos, bool add_eos)
    : impl_(std::move(impl)), source_(std::move(source)), add_bos_(add_bos), add_eos_(add_eos),
      bos_id_(impl_->model.spec().bos_id), eos_id_(impl_->model.spec().eos_id),
      pad_id_(impl_->model.spec().pad_id) {}

Tokenizer::~Tokenizer() = default;

namespace {

std::unique_ptr<Tokenizer::Impl> read_tokenizer_model(const fs::path& tokenizer_model) {
  std::error_code ec;
  if (!fs::is_regular_file(tokenizer_model, ec))
    fail_input(tokenizer_model.string(), "not found (Llama/Mistral models need a SentencePiece tokenizer.model)");
  return std::make_unique<Tokenizer::Impl>(
      SentencePieceModel::parse(read_input_file(tokenizer_model, kMaxMetadataBytes), tokenizer_model.string()));
}

// Records one added token; an id inside tokenizer.model must name its piece.
void add_token(Tokenizer::Impl& impl, int64_t id, Tokenizer::AddedToken token, const std::string& where,
               const std::string& field) {
  // id + 1 becomes the vocabulary size, an int32_t too.
  if (id < 0 || id >= INT32_MAX) fail_input(where, "field '{}': token id {} is out of range", field, id);
  if (token.content.empty()) fail_input(where, "field '{}': token {} has empty content", field, id);
  const auto& pieces = impl.model.pieces();
  const int32_t i = static_cast<int32_t>(id);
  if (i < static_cast<int32_t>(pieces.size()) && pieces[i].text != token.content)
    fail_input(where, "field '{}': token {} is '{}', but tokenizer.model's piece {} is '{}'", field, id,
               token.content, id, pieces[i].text);
  auto [it, inserted] = impl.added.emplace(i, token);
  if (!inserted) {
    if (it->second.content != token.content)
      fail_input(where, "field '{}': token {} is '{}', but another file names it '{}'", field, id,
                 token.content, it->second.content);
    it->second.special |= token.special;
  }
  for (const auto& [other, t] : impl.added)
    if (other != i && t.content == token.content)
      fail_input(where, "field '{}': '{}' is both token {} and token {}", field, token.content, other, id);
  impl.vocab_size = std::max(impl.vocab_size, i + 1);
  impl.add_spelling(token.content, i);
}

int64_t parse_token_id(const std::string& text, const std::string& where, const std::string& field) {
  size_t used = 0;
  int64_t id = -1;
  try {
    id = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size()) fail_input(where, "field '{}': '{}' is not a token id", field, text);
  return id;
}

}  // namespace

std::shared_ptr<const Tokenizer> Tokenizer::from_model_file(const fs::path& tokenizer_model, bool add_bos,
                                                            bool add_eos) {
  return std::shared_ptr<const Tokenizer>(
      new Tokenizer(read_tokenizer_model(tokenizer_model), tokenizer_model.string(), add_bos, add_eos));
}

std::shared_ptr<const Tokenizer> Tokenizer::load(const fs::path& model_dir) {
  const fs::path model_path = model_dir / "tokenizer.model";
  auto impl = read_tokenizer_model(model_path);
  json config = json::object();
  const fs::path config_path = model_dir / "tokenizer_config.json";
  const std::string where = config_path.string();
  std::error_code ec;
  if (fs::exists(config_path, ec)) {
    config = read_json_file(config_path);
    if (!config.is_object()) fail_input(where, "expected a JSON object");
  }

  // Names of special tokens: what added_tokens.json leaves unmarked is special
  // when tokenizer_config.json names it, as transformers decides.
  std::set<std::string> special_names;
  for (const char* key : {"bos_token", "eos_token", "unk_token", "pad_token"})
    if (config.contains(key)) special_names.insert(token_content(config[key], where, key));
  if (config.contains("additional_special_tokens") && config["additional_special_tokens"].is_array())
    for (const json& t : config["additional_special_tokens"])
      special_names.insert(token_content(t, where, "additional_special_tokens"));

  if (config.contains("added_tokens_decoder")) {
    const json& decoder = config["added_tokens_decoder"];
    if (!decoder.is_object())
      fail_input(where, "field 'added_tokens_decoder': expected an object of id -> token, got {}", decoder.dump());
    for (const auto& [key, value] : decoder.items()) {
      const std::string field = "added_tokens_decoder." + key;
      if (!value.is_object() || !value.contains("content") || !value["content"].is_string())
        fail_input(where, "field '{}': expected an object with a string \"content\", got {}", field, value.dump());
      AddedToken token{value["content"].get<std::string>(), false};
      if (value.contains("special")) {
        if (!value["special"].is_boolean())
          fail_input(where, "field '{}.special': expected true or false, got {}", field, value["special"].dump());
        token.special = value["special"].get<bool>();
      }
      add_token(*impl, parse_token_id(key, where, field), std::move(token), where, field);
    }
  }
  const fs::path added_path = model_dir / "added_tokens.json";
  if (fs::exists(added_path, ec)) {
    const std::string added_where = added_path.string();
    json added = read_json_file(added_path);
    if (!added.is_object()) fail_input(added_where, "expected a JSON object of token -> id");
    for (const auto& [content, id] : added.items()) {
      if (!id.is_number_integer())
        fail_input(added_where, "field '{}': expected a token id, got {}", content, id.dump());
      add_token(*impl, id.get<int64_t>(), {content, special_names.count(content) > 0}, added_where, content);
    }
  }

  auto tokenizer = std::shared_ptr<Tokenizer>(
      new Tokenizer(std::move(impl), model_path.string(), flag_or(config, "add_bos_token", true, where),
                    flag_or(config, "add_eos_token", false, where)));
  // bos/eos must name a token; a pad_token the vocabulary lacks is one
  // transformers would append, and moebench never pads with it: ignored.
  for (auto [key, id] : {std::pair{"bos_token", &tokenizer->bos_id_}, std::pair{"eos_token", &tokenizer->eos_id_},
                         std::pair{"pad_token", &tokenizer->pad_id_}}) {
    if (!config.contains(key)) continue;
    const std::string content = token_content(config[key], where, key);
    if (content.empty()) continue;
    const int32_t found = tokenizer->token_to_id(content);
    if (found >= 0) {
      *id = found;
    } else if (std::string_view(key) != "pad_token") {
      fail_input(where, "field '{}': '{}' is neither a piece of tokenizer.model nor an added token", key, content);
    }
  }
  return tokenizer;
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
  if (id >= static_cast<int32_t>(impl_->model.pieces().size()) && !impl_->added.count(id))
    fail_input(source_, "token id {} is in no piece of tokenizer.model and no added token", id);
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special_tokens) const {
  const int32_t num_pieces = static_cast<int32_t>(impl_->model.pieces().size());
  std::string out;
  std::vector<int32_t> run;  // SentencePiece ids since the last token written by its spelling
  bool started = false;
  auto flush = [&] {
    if (run.empty()) return;
    out += impl_->model.decode(run, /*at_start=*/!started);
    started = true;
    run.clear();
  };
  for (int32_t id : ids) {
    check_id(id);
    const bool special = is_special(id);
    if (special && skip_special_tokens) continue;
    if (!special && id < num_pieces) {
      run.push_back(id);
      continue;
    }
    flush();
    out += id_to_piece(id);
    started = true;
  }
  flush();
  return out;
}

std::string Tokenizer::id_to_piece(int32_t id) const {
  check_id(id);
  if (id >= static_cast<int32_t>(impl_->model.pieces().size())) return impl_->added.at(id).content;
  return impl_->model.pieces()[id].text;
}

int32_t Tokenizer::token_to_id(std::string_view text) const {
  for (const auto& [id, token] : impl_->added)
    if (token.content == text) return id;
  return impl_->model.piece_to_id(text);
}

bool Tokenizer::is_special(int32_t id) const {
  // A model may mark BOS/EOS as normal pieces; they are special all the same.
  if (id == bos_id() || id == eos_id() || id == pad_id() || id == unk_id()) return true;
  if (auto it = impl_->added.find(id); it != impl_->added.end() && it->second.special) return true;
  return id >= 0 && id < static_cast<int32_t>(impl_->model.pieces().size()) &&
         impl_->model.pieces()[id].type == SentencePieceModel::PieceType::Control;
}

int32_t Tokenizer::vocab_size() const { return impl_->vocab_size; }
int32_t Tokenizer::bos_id() const { return bos_id_; }
int32_t Tokenizer::eos_id() const { return eos_id_; }
int32_t Tokenizer::pad_id() const { return pad_id_; }
int32_t Tokenizer::unk_id() const { return impl_->model.spec().unk_id; }

}  // namespace moebench::io
