#include "harness/io/bpe_trainer.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "harness/util/error.h"
#include "harness/util/text.h"

namespace moebench::io {
namespace {

constexpr std::string_view kSpace = "\xE2\x96\x81";  // "▁"

using Word = std::vector<std::string>;  // symbols of one whitespace-separated word

// Words of a line as the encoder will see them: "▁" + word, split into characters.
void add_words(std::string_view line, bool lone_newlines, std::map<Word, int64_t>* words,
               std::map<std::string, int64_t>* chars) {
  for (const std::string& w : split(line, ' ')) {
    if (w.empty()) continue;
    Word word{std::string(kSpace)};
    for (std::string_view rest = w; !rest.empty();) {
      size_t n = std::max<size_t>(1, utf8_char_length(rest));
      word.emplace_back(rest.substr(0, n));
      rest.remove_prefix(n);
    }
    for (const auto& c : word)
      if (!lone_newlines || c != "\n") ++(*chars)[c];
    ++(*words)[word];
  }
}

}  // namespace

SentencePieceModel train_bpe_tokenizer(const std::vector<std::string>& corpus, int vocab_size,
                                       bool lone_newlines, bool fill_unused) {
  const int reserved = 3 + 256;
  if (vocab_size <= reserved) {
    fail_input("tokenizer training", "vocab_size must exceed {} (specials and bytes), got {}",
               reserved, vocab_size);
  }
  std::map<Word, int64_t> words;
  std::map<std::string, int64_t> chars;
  for (const auto& line : corpus) add_words(line, lone_newlines, &words, &chars);

  // Characters by frequency (ties by text) take what the merges leave; a
  // quarter of the free slots at most, so the vocabulary also learns words.
  std::vector<std::pair<int64_t, std::string>> by_freq;
  for (const auto& [c, n] : chars) by_freq.emplace_back(-n, c);
  std::sort(by_freq.begin(), by_freq.end());
  const int free_slots = vocab_size - reserved;
  const int n_chars = std::min<int>(static_cast<int>(by_freq.size()), std::max(1, free_slots / 4));
  const int n_merges = free_slots - n_chars;

  std::vector<std::string> merges;
  std::set<std::string> known;
  for (int i = 0; i < n_chars; ++i) known.insert(by_freq[i].second);
  while (static_cast<int>(merges.size()) < n_merges) {
    std::map<std::pair<std::string, std::string>, int64_t> pairs;
    for (const auto& [word, n] : words) {
      for (size_t i = 1; i < word.size(); ++i)
        if (!lone_newlines || (word[i - 1] != "\n" && word[i] != "\n")) pairs[{word[i - 1], word[i]}] += n;
    }
    // Most frequent pair whose merge is new; std::map order breaks ties.
    const std::pair<std::string, std::string>* best = nullptr;
    int64_t best_n = 0;
    for (const auto& [pair, n] : pairs) {
      if (n > best_n && !known.count(pair.first + pair.second)) {
        best = &pair;
        best_n = n;
      }
    }
    if (!best && fill_unused) break;
    if (!best) {
      fail_input("tokenizer training", "the corpus yields only {} merges, {} needed for vocab_size {}",
                 merges.size(), n_merges, vocab_size);
    }
    const std::string a = best->first, b = best->second, merged = a + b;
    merges.push_back(merged);
    known.insert(merged);
    std::map<Word, int64_t> next;
    for (const auto& [word, n] : words) {
      Word w;
      for (size_t i = 0; i < word.size(); ++i) {
        if (i + 1 < word.size() && word[i] == a && word[i + 1] == b) {
          w.push_back(merged);
          ++i;
        } else {
          w.push_back(word[i]);
        }
      }
      next[w] += n;
    }
    words = std::move(next);
  }

  using Type = SentencePieceModel::PieceType;
  std::vector<SentencePieceModel::Piece> pieces = {
      {"<unk>", 0, Type::Unknown}, {"<s>", 0, Type::Control}, {"</s>", 0, Type::Control}};
  for (int b = 0; b < 256; ++b) pieces.push_back({fmt::format("<0x{:02X}>", b), 0, Type::Byte});
  for (size_t i = 0; i < merges.size(); ++i) {
    pieces.push_back({merges[i], -static_cast<float>(i), Type::Normal});
  }
  for (int i = 0; i < n_chars; ++i) {
    pieces.push_back({by_freq[i].second, -static_cast<float>(merges.size() + i), Type::Normal});
  }
  // Pieces no text can reach: no merge produces "<unused", so BPE never gets there.
  for (int i = 0; static_cast<int>(pieces.size()) < vocab_size; ++i)
    pieces.push_back({fmt::format("<unused{}>", i), 0, Type::Unused});
  SentencePieceModel::Spec spec;
  spec.byte_fallback = true;
  spec.remove_extra_whitespaces = false;  // as Llama's tokenizer
  return SentencePieceModel(std::move(pieces), spec);
}

}  // namespace moebench::io
